// Package deviceapi is the HTTP face of the device registry: staff register
// devices, rotate their ingress tokens, send them commands, read their
// points, and see the drivers their organisation has enabled.
package deviceapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/device"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Permissions of the device routes (core/rbac's catalogue).
const (
	PermRead   = "device.read"
	PermManage = "device.manage"
)

// CommandInput is a command sent through the API.
type CommandInput struct {
	Command   string          `json:"command"`
	Args      json.RawMessage `json:"args" swaggertype:"object"`
	TimeoutMs uint32          `json:"timeout_ms"` // default 5000, at most 30000
	RequestID string          `json:"request_id"` // a repeat may be answered from the first run
}

// CommandResult is a command's outcome.
type CommandResult struct {
	OK       bool            `json:"ok"`
	Message  string          `json:"message"`
	Data     json.RawMessage `json:"data" swaggertype:"object"`
	Blob     []byte          `json:"blob,omitempty"` // base64, e.g. a snapshot
	BlobType string          `json:"blob_type,omitempty"`
}

// PointsQuery names the points to read (comma-separated; empty: all).
type PointsQuery struct {
	Names string `form:"names" json:"names"`
}

// Point is one data point's value.
type Point struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value" swaggertype:"object"`
	At    *time.Time      `json:"at"`
}

// Points answers the points route.
type Points struct {
	Points []Point `json:"points"`
}

// DiscoverInput is a discovery request; params are the driver's own.
type DiscoverInput struct {
	Params    json.RawMessage `json:"params" swaggertype:"object"`
	TimeoutMs uint32          `json:"timeout_ms"`
}

// Found is a device a driver discovered.
type Found struct {
	Class  string          `json:"class"`
	Name   string          `json:"name"`
	Vendor string          `json:"vendor"`
	Model  string          `json:"model"`
	Serial string          `json:"serial"`
	Config json.RawMessage `json:"config" swaggertype:"object"`
}

// Discovered answers discovery.
type Discovered struct {
	Items []Found `json:"items"`
}

// Drivers answers the drivers route.
type Drivers struct {
	Items []device.DriverInfo `json:"items"`
}

type handlers struct{ svc *device.Service }

// Routes are the device registry's rows of the route table.
func Routes(svc *device.Service) []httpapi.Route {
	h := handlers{svc}
	const tag = "devices"
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/devices", Tag: tag, Summary: "List devices (filters: class, community, status, driver)", Permission: PermRead, Query: device.Filter{}, Response: httpapi.Page[device.View]{}, Handler: h.list},
		{Method: "POST", Path: "/api/v1/devices", Tag: tag, Summary: "Register a device with one of your drivers (config checked against the driver's schema); the answer shows its ingress token once",
			Permission: PermManage, Idempotent: true, ReplayRedacts: []string{"token"}, Request: device.Input{}, Response: device.Created{}, Status: http.StatusCreated, Handler: h.create},
		{Method: "GET", Path: "/api/v1/devices/:id", Tag: tag, Summary: "Get a device (secrets never shown: only which are set)", Permission: PermRead, Object: true, Response: device.View{}, Handler: h.get},
		{Method: "PUT", Path: "/api/v1/devices/:id", Tag: tag, Summary: "Replace a device's settings (a secret left out keeps its value, \"\" removes it)", Permission: PermManage, Object: true, Request: device.Input{}, Response: device.View{}, Handler: h.update},
		{Method: "DELETE", Path: "/api/v1/devices/:id", Tag: tag, Summary: "Remove a device", Permission: PermManage, Object: true, Status: http.StatusNoContent, Handler: h.delete},
		{Method: "POST", Path: "/api/v1/devices/:id/token", Tag: tag, Summary: "Rotate a device's ingress token: the answer shows the new one once; the old one stops working", Permission: PermManage, Object: true, Response: device.Created{}, Handler: h.rotate},
		{Method: "POST", Path: "/api/v1/devices/:id/commands", Tag: tag, Summary: "Send a canonical command (gate.open, door.open, camera.snapshot …) through the device's driver; 504 device_no_ack when it does not acknowledge in time",
			Permission: PermManage, Object: true, NoRequestTx: true, Request: CommandInput{}, Response: CommandResult{}, Handler: h.command},
		{Method: "GET", Path: "/api/v1/devices/:id/points", Tag: tag, Summary: "Read a device's data points (?names=a,b; default all)", Permission: PermRead, Object: true, Query: PointsQuery{}, Response: Points{}, Handler: h.points},
		{Method: "GET", Path: "/api/v1/device-drivers", Tag: tag, Summary: "Your enabled device drivers: classes, commands, events, points and the device config schema", Permission: PermRead, Response: Drivers{}, Handler: h.drivers},
		{Method: "POST", Path: "/api/v1/device-drivers/:name/discover", Tag: tag, Summary: "Ask a driver to look for devices on the network (where its protocol allows)", Permission: PermManage, NotObject: "a plugin name of the caller's own enabled drivers",
			NoRequestTx: true, Request: DiscoverInput{}, Response: Discovered{}, Handler: h.discover},
	}
}

func (h handlers) list(c *gin.Context) error {
	var f device.Filter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "name", "created_at", "status", "last_seen_at", "class")
	if err != nil {
		return err
	}
	items, total, err := h.svc.List(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func reply(c *gin.Context, status int, v any, err error) error {
	if err != nil {
		if errors.Is(err, device.ErrNoAck) {
			e, _ := apperr.As(err)
			return httpapi.WithStatus(http.StatusGatewayTimeout, e)
		}
		return err
	}
	c.JSON(status, v)
	return nil
}

func (h handlers) create(c *gin.Context) error {
	var in device.Input
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.Create(c.Request.Context(), httpapi.Tenant(c), in)
	return reply(c, http.StatusCreated, out, err)
}

func (h handlers) get(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.Get(c.Request.Context(), httpapi.Tenant(c), id)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) update(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in device.Input
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.Update(c.Request.Context(), httpapi.Tenant(c), id, in)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) delete(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) rotate(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.RotateToken(c.Request.Context(), httpapi.Tenant(c), id)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) command(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in CommandInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if string(in.Args) == "null" {
		in.Args = nil
	}
	res, err := h.svc.Command(c.Request.Context(), httpapi.Tenant(c), &wuyepb.CommandRequest{DeviceId: id.String(), Command: strings.TrimSpace(in.Command), Args: in.Args, TimeoutMs: in.TimeoutMs, RequestId: in.RequestID})
	if err != nil {
		return reply(c, 0, nil, err)
	}
	out := CommandResult{OK: res.GetOk(), Message: res.GetMessage(), Data: jsonOr(res.GetData()), Blob: res.GetBlob(), BlobType: res.GetBlobType()}
	return reply(c, http.StatusOK, out, nil)
}

func jsonOr(b []byte) json.RawMessage {
	if len(b) == 0 || !json.Valid(b) {
		return json.RawMessage("{}")
	}
	return json.RawMessage(b)
}

func (h handlers) points(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var q PointsQuery
	if err := httpapi.BindQuery(c, &q); err != nil {
		return err
	}
	var names []string
	for _, n := range strings.Split(q.Names, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	ps, err := h.svc.Points(c.Request.Context(), httpapi.Tenant(c), id, names)
	if err != nil {
		return reply(c, 0, nil, err)
	}
	out := Points{Points: []Point{}}
	for _, p := range ps.GetPoints() {
		pt := Point{Name: p.GetName(), Value: p.GetValue()}
		if len(pt.Value) == 0 || !json.Valid(pt.Value) {
			pt.Value = json.RawMessage("null")
		}
		if p.GetAtUnixMs() > 0 {
			at := time.UnixMilli(p.GetAtUnixMs()).UTC()
			pt.At = &at
		}
		out.Points = append(out.Points, pt)
	}
	return reply(c, http.StatusOK, out, nil)
}

func (h handlers) drivers(c *gin.Context) error {
	items, err := h.svc.Drivers(c.Request.Context(), httpapi.Tenant(c))
	return reply(c, http.StatusOK, Drivers{Items: items}, err)
}

func (h handlers) discover(c *gin.Context) error {
	var in DiscoverInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	res, err := h.svc.Discover(c.Request.Context(), httpapi.Tenant(c), c.Param("name"), in.Params, time.Duration(in.TimeoutMs)*time.Millisecond)
	if err != nil {
		return reply(c, 0, nil, err)
	}
	out := Discovered{Items: []Found{}}
	for _, d := range res.GetDevices() {
		out.Items = append(out.Items, Found{Class: d.GetClass(), Name: d.GetName(), Vendor: d.GetVendor(), Model: d.GetModel(), Serial: d.GetSerial(), Config: jsonOr(d.GetConfig())})
	}
	return reply(c, http.StatusOK, out, nil)
}
