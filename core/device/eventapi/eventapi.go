// Package eventapi is the HTTP face of the device event log: staff read
// what their devices reported (plates, door swipes, lift status and faults,
// camera alarms), newest first.
package eventapi

import (
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/device/stream"
	"github.com/wuye-project/wuye/core/httpapi"
)

// eventQuery documents the filters.
type eventQuery struct {
	DeviceID string `form:"device_id" json:"device_id,omitempty"`
	Type     string `form:"type" json:"type,omitempty"` // plate.recognized, or a family: elevator.*
	From     string `form:"from" json:"from,omitempty"` // RFC 3339, inclusive (received at)
	To       string `form:"to" json:"to,omitempty"`     // RFC 3339, exclusive
	Page     int    `form:"page" json:"page,omitempty"`
	PageSize int    `form:"page_size" json:"page_size,omitempty"`
}

var typePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*(\.[a-z0-9_*-]+)+$`)

// Routes lists the device event log (permission device.read).
func Routes(s *stream.Stream) []httpapi.Route {
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/device-events", Permission: "device.read", Tag: "devices",
			Summary: "Events the devices reported, newest first", Query: eventQuery{}, Response: httpapi.Page[stream.EventItem]{},
			Handler: func(c *gin.Context) error {
				p, _, err := httpapi.PageQueryOf(c)
				if err != nil {
					return err
				}
				f, err := filter(c)
				if err != nil {
					return err
				}
				items, total, err := s.List(c.Request.Context(), httpapi.TenantOf(c.Request.Context()), f, p.Offset(), p.PageSize)
				if err != nil {
					return err
				}
				c.JSON(200, httpapi.Page[stream.EventItem]{Items: items, Total: total, Page: p.Page, PageSize: p.PageSize})
				return nil
			}},
	}
}

func filter(c *gin.Context) (stream.EventFilter, error) {
	var f stream.EventFilter
	var bad []apperr.FieldError
	if v := c.Query("device_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			bad = append(bad, apperr.FieldError{Field: "device_id", Code: "invalid_uuid", EN: "device_id must be a device id", ZH: "device_id 须为设备编号"})
		}
		f.DeviceID = id
	}
	if v := c.Query("type"); v != "" {
		if len(v) > 100 || !typePattern.MatchString(v) {
			bad = append(bad, apperr.FieldError{Field: "type", Code: "invalid_type", EN: "type is an event type such as plate.recognized, or a family such as elevator.*", ZH: "type 须为事件类型(如 plate.recognized)或类别(如 elevator.*)"})
		}
		f.Type = v
	}
	for _, k := range []struct {
		name string
		to   *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := c.Query(k.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				bad = append(bad, apperr.FieldError{Field: k.name, Code: "invalid_time", EN: k.name + " must be an RFC 3339 time such as 2026-11-30T08:00:00+08:00", ZH: k.name + " 须为 RFC 3339 时间,例如 2026-11-30T08:00:00+08:00"})
			}
			*k.to = t
		}
	}
	if len(bad) > 0 {
		return f, apperr.Invalid.WithDetails(bad)
	}
	return f, nil
}
