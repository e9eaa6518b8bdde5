package httpapi

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
)

// access authenticates and authorises one route as its table row declares.
// The tenant of the request is the tenant of the verified credential; no
// header or path can choose it.
func (s *Server) access(r Route) gin.HandlerFunc {
	read := r.Method == http.MethodGet
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		if read && s.Tx != nil {
			// On SQLite a GET must not queue behind a long write (an import).
			ctx = s.Tx.ReadMostly(ctx)
			c.Request = c.Request.WithContext(ctx)
		}
		base := actor.Actor{IP: c.ClientIP(), RequestID: requestID(c)}
		if r.Public {
			c.Request = c.Request.WithContext(actor.With(ctx, base))
			c.Next()
			return
		}
		cred := bearer(c)
		if cred == "" || s.Auth == nil {
			s.writeError(c, apperr.Unauthenticated)
			return
		}
		// The base actor lets the authenticator audit a failure with IP and request id.
		a, err := s.Auth.Authenticate(actor.With(ctx, base), cred)
		if err != nil {
			s.writeError(c, err)
			return
		}
		a.IP, a.RequestID = base.IP, base.RequestID
		c.Request = c.Request.WithContext(actor.With(ctx, a))
		ctx = c.Request.Context()
		switch {
		case r.Operator:
			if a.Kind != actor.Operator {
				s.refuse(c, r, apperr.Forbidden)
				return
			}
		default:
			if a.TenantID == uuid.Nil {
				s.refuse(c, r, apperr.Forbidden)
				return
			}
			if s.Tenant != nil {
				if err := s.Tenant.CheckActive(ctx, a.TenantID); err != nil {
					s.refuse(c, r, err)
					return
				}
			}
			if !r.Self {
				if s.Authz == nil {
					s.refuse(c, r, apperr.Forbidden)
					return
				}
				ok, err := s.Authz.Allowed(ctx, a, r.Permission)
				if err != nil {
					s.writeError(c, err)
					return
				}
				if !ok {
					s.refuse(c, r, apperr.Forbidden.WithDetails(map[string]string{"permission": r.Permission}))
					return
				}
			}
		}
		c.Next()
	}
}

// checkAccess panics on a route that does not say who may call it: exactly
// one of Public, Operator, Self or a Permission. A route table mistake is a
// programming error, caught when the server is built.
func checkAccess(r Route) {
	n := 0
	for _, b := range []bool{r.Public, r.Operator, r.Self, r.Permission != ""} {
		if b {
			n++
		}
	}
	if n != 1 {
		panic("httpapi: route " + r.Method + " " + r.Path + " must declare exactly one of Public, Operator, Self or Permission")
	}
	// A tenant route naming something in its path is walked by the BOLA
	// test unless it says, in its row, why that is no tenant object.
	_, params := openAPIPath(r.Path)
	tenant := !r.Public && !r.Operator
	switch {
	case r.Object && r.NotObject != "":
		panic("httpapi: route " + r.Method + " " + r.Path + " declares both Object and NotObject")
	case tenant && len(params) > 0 && !r.Object && r.NotObject == "":
		panic("httpapi: route " + r.Method + " " + r.Path + " has a path parameter: declare Object, or NotObject with the reason it names no tenant object")
	}
}

// bearer returns the credential of "Authorization: Bearer …" (JWT or API key).
func bearer(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
