package rbacapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/rbac"
)

// myPermissionsBody is what the signed-in principal may do: the console builds
// its menu from it (a resident, who lacks role.read, must still learn it).
type myPermissionsBody struct {
	Roles       []string `json:"roles"`
	Permissions []string `json:"permissions"`
}

// mineRoute answers the caller's own roles and granted permissions; it is a
// Self route, so it needs no permission of its own.
func mineRoute(svc *rbac.Enforcer) httpapi.Route {
	return httpapi.Route{Method: "GET", Path: "/api/v1/auth/permissions", Self: true, Tag: "auth",
		Summary: "Your own roles and the permissions they grant (to build a menu)", Response: myPermissionsBody{},
		Handler: func(c *gin.Context) error {
			ctx := c.Request.Context()
			a, _ := actor.From(ctx)
			out := myPermissionsBody{Roles: []string{}, Permissions: []string{}}
			switch a.Kind {
			case actor.User:
				roles, err := svc.RolesOf(ctx, a.TenantID, a.ID)
				if err != nil {
					return err
				}
				out.Roles = append(out.Roles, roles...)
			case actor.APIKey:
				out.Roles = append(out.Roles, a.Roles...)
			}
			ps, err := svc.CatalogueOf(ctx)
			if err != nil {
				return err
			}
			for _, p := range ps {
				ok, err := svc.Allowed(ctx, a, p.Code)
				if err != nil {
					return err
				}
				if ok {
					out.Permissions = append(out.Permissions, p.Code)
				}
			}
			c.JSON(http.StatusOK, out)
			return nil
		}}
}
