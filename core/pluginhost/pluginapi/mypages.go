package pluginapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
)

// MyPage is a page of an enabled plugin that the caller may open.
type MyPage struct {
	Plugin string `json:"plugin"`
	catalogue.Page
}

type myPagesBody struct {
	Items []MyPage `json:"items"`
}

// MyPagesRoute answers the pages (console and H5) of the organisation's
// enabled plugins whose permission the caller holds. It is a Self route:
// residents, who lack plugin.use, learn their H5 pages (my vehicles, my
// events) from it.
func MyPagesRoute(cat *catalogue.Catalogue, authz httpapi.Authorizer) httpapi.Route {
	return httpapi.Route{Method: "GET", Path: "/api/v1/me/plugin-pages", Self: true, Tag: tag,
		Summary: "Pages of your organisation's enabled plugins that you may open (console and H5)", Response: myPagesBody{},
		Handler: func(c *gin.Context) error {
			ctx := c.Request.Context()
			a, _ := actor.From(ctx)
			ens, err := cat.ListTenant(ctx, a.TenantID, true, false)
			if err != nil {
				return err
			}
			out := myPagesBody{Items: []MyPage{}}
			for _, e := range ens {
				for _, p := range e.Pages {
					ok := p.Permission == ""
					if !ok {
						if ok, err = authz.Allowed(ctx, a, p.Permission); err != nil {
							return err
						}
					}
					if ok {
						out.Items = append(out.Items, MyPage{Plugin: e.Name, Page: p})
					}
				}
			}
			c.JSON(http.StatusOK, out)
			return nil
		}}
}
