// Package patrolapi is the HTTP face of guard patrol: routes and their
// checkpoints (QR codes), rounds, check-ins, missed points and the summary
// by route and guard.
package patrolapi

import (
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/patrol"
)

// Permissions of the patrol routes (core/rbac's catalogue).
const (
	PermRead    = "patrol.read"
	PermManage  = "patrol.manage"
	PermCheckin = "patrol.checkin"
)

// PNG is the Response marker of the QR image.
type PNG struct{}

// ContentTypes is the QR answer's media type.
func (PNG) ContentTypes() []string { return []string{"image/png"} }

// Photo is the Response marker of a check-in photo download.
type Photo struct{}

// ContentTypes are the media types a check-in photo may have.
func (Photo) ContentTypes() []string { return []string{"image/jpeg", "image/png", "image/webp"} }

// QRQuery sizes the QR image.
type QRQuery struct {
	Size int `form:"size" json:"size"` // pixels, 128–1024 (default 512)
}

// Summary answers the summary route.
type Summary struct {
	Items []patrol.SummaryRow `json:"items"`
}

type handlers struct{ svc *patrol.Service }

// maxPhotoBytes caps a check-in photo upload (the file plus multipart framing).
const maxPhotoBytes = attachment.MaxSize + 64<<10

// Routes are the patrol domain's rows of the route table.
func Routes(svc *patrol.Service) []httpapi.Route {
	h := handlers{svc}
	const tag = "patrol"
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/patrol-routes", Tag: tag, Summary: "List patrol routes with their checkpoints in order", Permission: PermRead, Query: patrol.RouteFilter{}, Response: httpapi.Page[patrol.Route]{}, Handler: h.listRoutes},
		{Method: "POST", Path: "/api/v1/patrol-routes", Tag: tag, Summary: "Create a patrol route: ordered checkpoints, schedule (tenant's time zone), window, guards", Permission: PermManage, Idempotent: true, Request: patrol.RouteInput{}, Response: patrol.Route{}, Status: http.StatusCreated, Handler: h.createRoute},
		{Method: "GET", Path: "/api/v1/patrol-routes/:id", Tag: tag, Summary: "Get a patrol route", Permission: PermRead, Object: true, Response: patrol.Route{}, Handler: h.getRoute},
		{Method: "PUT", Path: "/api/v1/patrol-routes/:id", Tag: tag, Summary: "Replace a patrol route (checkpoints named by id keep their QR code); rounds not started are planned again", Permission: PermManage, Object: true, Request: patrol.RouteInput{}, Response: patrol.Route{}, Handler: h.updateRoute},
		{Method: "DELETE", Path: "/api/v1/patrol-routes/:id", Tag: tag, Summary: "Delete a patrol route (past rounds stay)", Permission: PermManage, Object: true, Status: http.StatusNoContent, Handler: h.deleteRoute},
		{Method: "POST", Path: "/api/v1/patrol-checkpoints/:id/rotate", Tag: tag, Summary: "Give a checkpoint a new QR code; the old one stops working", Permission: PermManage, Object: true, Response: patrol.Checkpoint{}, Handler: h.rotate},
		{Method: "GET", Path: "/api/v1/patrol-checkpoints/:id/qr.png", Tag: tag, Summary: "The checkpoint's QR code to print (PNG, ?size=512)", Permission: PermManage, Object: true, Query: QRQuery{}, Response: PNG{}, Handler: h.qr},

		{Method: "GET", Path: "/api/v1/patrol-rounds", Tag: tag, Summary: "List rounds (filters: route, guard, status, open now, from/to day)", Permission: PermRead, Query: patrol.RoundFilter{}, Response: httpapi.Page[patrol.Round]{}, Handler: h.listRounds},
		{Method: "GET", Path: "/api/v1/patrol-rounds/:id", Tag: tag, Summary: "A round with each point's check-in time, late, out of order, missed", Permission: PermRead, Object: true, Response: patrol.Round{}, Handler: h.getRound},
		{Method: "POST", Path: "/api/v1/patrol-rounds/:id/checkins", Tag: tag, Summary: "Check in at a point of the round by its scanned QR token (a second scan answers the first check-in)", Permission: PermCheckin, Object: true, Request: patrol.CheckinInput{}, Response: patrol.RoundPoint{}, Status: http.StatusCreated, Handler: h.checkin},
		{Method: "GET", Path: "/api/v1/patrol-rounds/:id/photos/:photo", Tag: tag, Summary: "Download a check-in photo of the round (the photo_id of a point)", Permission: PermRead, Object: true, Response: Photo{}, Handler: h.downloadPhoto},
		{Method: "POST", Path: "/api/v1/patrol-rounds/:id/photos", Tag: tag, Summary: "Upload a check-in photo (multipart field \"file\"; JPEG, PNG or WebP, at most 20 MiB); name it in the check-in's photo_id", Permission: PermCheckin, Object: true, Response: attachment.Attachment{}, Status: http.StatusCreated, MaxBody: maxPhotoBytes, Handler: h.photo},
		{Method: "GET", Path: "/api/v1/patrol-exceptions", Tag: tag, Summary: "Missed points of closed rounds (filters as rounds), counted", Permission: PermRead, Query: patrol.RoundFilter{}, Response: httpapi.Page[patrol.Exception]{}, Handler: h.exceptions},
		{Method: "GET", Path: "/api/v1/patrol-summary", Tag: tag, Summary: "Closed rounds summed by route and guard: complete, incomplete, points checked, late, missed", Permission: PermRead, Query: patrol.RoundFilter{}, Response: Summary{}, Handler: h.summary},
	}
}

func (h handlers) listRoutes(c *gin.Context) error {
	var f patrol.RouteFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "name", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListRoutes(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createRoute(c *gin.Context) error {
	var in patrol.RouteInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateRoute(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getRoute(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetRoute(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) updateRoute(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in patrol.RouteInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.UpdateRoute(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) deleteRoute(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteRoute(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
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
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

var errSize = apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "size", Code: "out_of_range", EN: "size must be 128 to 1024 pixels", ZH: "size 须为 128 到 1024 像素"}})

func (h handlers) qr(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var q QRQuery
	if err := httpapi.BindQuery(c, &q); err != nil {
		return err
	}
	if q.Size == 0 {
		q.Size = 512
	}
	if q.Size < 128 || q.Size > 1024 {
		return errSize
	}
	png, err := h.svc.QRCode(c.Request.Context(), httpapi.Tenant(c), id, q.Size)
	if err != nil {
		return err
	}
	c.Header("Content-Length", strconv.Itoa(len(png)))
	c.Data(http.StatusOK, "image/png", png)
	return nil
}

func (h handlers) listRounds(c *gin.Context) error {
	var f patrol.RoundFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "slot_start", "status")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListRounds(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) getRound(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetRound(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) checkin(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in patrol.CheckinInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, created, err := h.svc.Checkin(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	st := http.StatusCreated
	if !created {
		st = http.StatusOK
	}
	c.JSON(st, out)
	return nil
}

func (h handlers) photo(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	tenant := httpapi.Tenant(c)
	if err := h.svc.CheckRound(c.Request.Context(), tenant, id); err != nil {
		return err
	}
	f, err := attachment.FromRequest(c.Request)
	if err != nil {
		return err
	}
	out, err := h.svc.AddPhoto(c.Request.Context(), tenant, id, f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) downloadPhoto(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	photo, err := httpapi.PathID(c, "photo")
	if err != nil {
		return err
	}
	ctx, tenant := c.Request.Context(), httpapi.Tenant(c)
	a, err := h.svc.Photo(ctx, tenant, id, photo)
	if err != nil {
		return err
	}
	return httpapi.SendFile(c, httpapi.StoredFile{Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256},
		func(w io.Writer) error { return h.svc.CopyPhoto(ctx, w, tenant, a) })
}

func (h handlers) exceptions(c *gin.Context) error {
	var f patrol.RoundFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c)
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListExceptions(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) summary(c *gin.Context) error {
	var f patrol.RoundFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	items, err := h.svc.Summary(c.Request.Context(), httpapi.Tenant(c), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, Summary{Items: items})
	return nil
}
