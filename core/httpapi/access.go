package httpapi

import (
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
	return func(c *gin.Context) {
		ctx := c.Request.Context()
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
		a, err := s.Auth.Authenticate(ctx, cred)
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
			if r.Permission != "" {
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

// bearer returns the credential of "Authorization: Bearer …" (JWT or API key).
func bearer(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
