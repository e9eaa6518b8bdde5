package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
)

const requestIDKey = "wuye.request_id"

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// requestID takes a sane X-Request-Id from the caller or makes one, and echoes it.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if len(id) == 0 || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		var b [12]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; object-src 'none'")
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

// bodyLimit answers 413 for a declared oversize body and caps reads of the
// rest. Gin runs it after matching the route, so a route that declares its own
// MaxBody (uploads) gets that cap; every other request, unmatched ones
// included, gets the server-wide one.
func (s *Server) bodyLimit(c *gin.Context) {
	limit := s.MaxBodyBytes
	if n, ok := s.bodyLimits[c.Request.Method+" "+c.FullPath()]; ok {
		limit = n
	}
	if c.Request.ContentLength > limit {
		s.writeError(c, apperr.TooLarge)
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

// refuseNUL answers 400 for a NUL character in a query value or key or a path
// parameter: PostgreSQL refuses NUL in text (a 500) and SQLite would store
// it. Query strings are read by many handlers directly, so the check is here
// rather than in each binding.
func (s *Server) refuseNUL(c *gin.Context) {
	if strings.Contains(c.Request.URL.RawQuery, "%00") || strings.IndexByte(c.Request.URL.RawQuery, 0) >= 0 {
		for k, vs := range c.Request.URL.Query() {
			bad := strings.IndexByte(k, 0) >= 0
			for _, v := range vs {
				bad = bad || strings.IndexByte(v, 0) >= 0
			}
			if bad {
				s.writeError(c, nulField(strings.ReplaceAll(k, "\x00", `\u0000`)))
				return
			}
		}
	}
	for _, p := range c.Params {
		if strings.IndexByte(p.Value, 0) >= 0 {
			s.writeError(c, nulField(p.Key))
			return
		}
	}
	c.Next()
}

func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.writeError(c, fmt.Errorf("panic: %v", v))
		}
	}()
	c.Next()
}

// accessLog writes one structured line per request, with request id and tenant.
// It is on every request's path, so it builds typed attrs (no boxing into
// []any) and does nothing when info lines are off.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	ctx := c.Request.Context()
	if !s.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := [6]slog.Attr{
		slog.String("request_id", requestID(c)),
		slog.String("method", c.Request.Method),
		slog.String("route", routeLabel(c)),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("took", time.Since(start)),
	}
	n := 5
	if a, ok := actor.From(ctx); ok && a.TenantID != uuid.Nil {
		attrs[n] = slog.String("tenant", a.TenantID.String())
		n++
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "http", attrs[:n]...)
}
