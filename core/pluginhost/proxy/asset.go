package proxy

import (
	"context"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// AssetMaxAge is how long a browser keeps a console asset before asking
// again (with If-None-Match, answered 304 when unchanged).
const AssetMaxAge = 5 * time.Minute

// asset serves a file of the plugin's console bundle (Plugin.GetAsset,
// since API 2) to any signed-in caller of a tenant that has the plugin
// enabled: bundles are code, not data; the routes they call check
// permissions.
func (p *Proxy) asset(c *gin.Context, tenantID uuid.UUID, name, file string) error {
	if !validAssetPath(file) {
		return ErrRouteNotFound
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), p.cfg.DefaultTimeout)
	defer cancel()
	var (
		got     *wuyepb.Asset
		version string
	)
	start := time.Now()
	err := p.cfg.Runner.Call(ctx, tenantID, name, func(ctx context.Context, pc wuyepb.PluginClient, m *wuyepb.Manifest) error {
		if m.GetApiVersion() < 2 {
			return ErrAssetsUnsupported
		}
		version = m.GetVersion()
		var err error
		got, err = pc.GetAsset(ctx, &wuyepb.AssetRequest{Path: file}, grpc.MaxCallRecvMsgSize(int(p.cfg.MaxResponse)+64<<10))
		return err
	})
	route := &wuyepb.Route{Path: "/ui/*path"}
	switch status.Code(err) {
	case codes.NotFound:
		p.latency.WithLabelValues(name, route.Path, http.MethodGet, "not_found").Observe(time.Since(start).Seconds())
		return apperr.NotFound
	case codes.Unimplemented:
		p.latency.WithLabelValues(name, route.Path, http.MethodGet, "not_found").Observe(time.Since(start).Seconds())
		return ErrAssetsUnsupported
	}
	outcome, err := p.outcome(ctx, name, route, err, &wuyepb.HTTPResponse{Status: http.StatusOK, Body: got.GetBody()})
	if err == nil {
		if mt, _, perr := mime.ParseMediaType(got.GetContentType()); perr != nil || !assetTypes[mt] {
			p.log.WarnContext(ctx, "plugin: asset of a refused type", "plugin", name, "path", file, "content_type", got.GetContentType())
			outcome, err = "error", httpapi.WithStatus(http.StatusBadGateway, ErrPlugin)
		}
	}
	p.latency.WithLabelValues(name, route.Path, http.MethodGet, outcome).Observe(time.Since(start).Seconds())
	if err != nil {
		return err
	}
	h := c.Writer.Header()
	tag := etag(version, got.GetBody())
	h.Set("ETag", tag)
	h.Set("Cache-Control", "private, max-age="+strconv.Itoa(int(AssetMaxAge/time.Second)))
	// An asset opened on its own (an SVG) runs nothing.
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox")
	for _, t := range strings.Split(c.GetHeader("If-None-Match"), ",") {
		if strings.TrimSpace(t) == tag {
			c.Status(http.StatusNotModified)
			c.Writer.WriteHeaderNow()
			return nil
		}
	}
	c.Data(http.StatusOK, got.GetContentType(), got.GetBody())
	return nil
}
