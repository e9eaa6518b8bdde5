package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/apperr"
)

// A wildcard row with Resolve (route.go) hands each request to the route it
// resolves to. The gin chain is fixed when the server is built, so the steps
// that depend on that route read it from the request: access (authenticate
// as Self) → resolve + permission + body cap → audit → idempotency → handler.

const (
	resolvedKey = "wuye.resolved_route"
	routeKey    = "wuye.route_template"
)

// routeLabel is the route template of a request for metrics and the access
// log: the resolved route's of a takeover, else gin's.
func routeLabel(c *gin.Context) string {
	if r := c.GetString(routeKey); r != "" {
		return r
	}
	return c.FullPath()
}

func resolved(c *gin.Context) Route {
	v, _ := c.Get(resolvedKey)
	r, _ := v.(Route)
	return r
}

func (s *Server) takeoverChain(w Route) []gin.HandlerFunc {
	if !w.Self {
		panic("httpapi: route " + w.Method + " " + w.Path + " with Resolve must declare Self (its routes declare their permissions)")
	}
	return []gin.HandlerFunc{
		s.access(w),
		func(c *gin.Context) { s.resolve(c, w) },
		func(c *gin.Context) { s.auditWrites(resolved(c))(c) },
		func(c *gin.Context) {
			if r := resolved(c); r.Idempotent {
				s.idempotent(c, r)
				return
			}
			c.Next()
		},
		func(c *gin.Context) {
			if err := resolved(c).Handler(c); err != nil {
				s.writeError(c, err)
			}
		},
	}
}

// resolve asks the row for the request's route and checks it as access and
// bodyLimit check a row of the table.
func (s *Server) resolve(c *gin.Context, w Route) {
	r, err := w.Resolve(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if r.Handler == nil || r.Public || r.Operator || (r.Permission == "") == !r.Self {
		s.writeError(c, fmt.Errorf("httpapi: %s %s resolved to a route without a handler or a tenant access rule", w.Method, w.Path))
		return
	}
	if r.Method == "" {
		r.Method = c.Request.Method
	}
	c.Set(resolvedKey, r)
	c.Set(routeKey, r.Path)
	if !r.Self {
		if s.Authz == nil {
			s.refuse(c, r, apperr.Forbidden)
			return
		}
		ok, err := s.Authz.Allowed(c.Request.Context(), Actor(c), r.Permission)
		if err != nil {
			s.writeError(c, err)
			return
		}
		if !ok {
			s.refuse(c, r, apperr.Forbidden.WithDetails(map[string]string{"permission": r.Permission}))
			return
		}
	}
	// The wildcard row's cap (bodyLimit) bounds every resolved route; the
	// route's own, or the server's default, applies now.
	limit := r.MaxBody
	if limit <= 0 {
		limit = s.MaxBodyBytes
	}
	if c.Request.ContentLength > limit {
		s.writeError(c, apperr.TooLarge)
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

// extraDocs caches the document with ExtraOpenAPI's routes.
type extraDocs struct {
	mu   sync.Mutex
	key  uint64
	json []byte
	html []byte
}

// servedDocs returns the OpenAPI JSON and docs page to serve: the table's,
// or, with ExtraOpenAPI, the table's and the extra routes', rebuilt when
// those change. A document that fails to build falls back to the table's.
func (s *Server) servedDocs(ctx context.Context) ([]byte, []byte) {
	if s.ExtraOpenAPI == nil {
		return s.openAPIJSON, s.docsHTML
	}
	extra := s.ExtraOpenAPI(ctx)
	if len(extra) == 0 {
		return s.openAPIJSON, s.docsHTML
	}
	h := fnv.New64a()
	for _, r := range extra {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%v%v%v%d\x00%s\x01", r.Method, r.Path, r.Permission, r.Summary, r.Tag, r.Self, r.Object, r.Idempotent, r.MaxBody, r.NotObject)
	}
	key := h.Sum64()
	d := &s.extraDocs
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.json != nil && d.key == key {
		return d.json, d.html
	}
	var (
		doc, page []byte
		err       error
	)
	func() {
		// A route the generator cannot describe must not take the document down.
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("%v", v)
			}
		}()
		t := s.openAPI(extra)
		if doc, err = json.Marshal(t); err == nil {
			page, err = docsPage(t)
		}
	}()
	if err != nil {
		s.log.ErrorContext(ctx, "httpapi: openapi with extra routes", "err", err)
		return s.openAPIJSON, s.docsHTML
	}
	d.key, d.json, d.html = key, doc, page
	return doc, page
}
