// Package assetapi is the HTTP face of the equipment register: assets,
// maintenance plans and records, uploaded documents and the assets
// spreadsheet (template, import, export).
package assetapi

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/sheet"
)

// Permissions of the equipment register.
const (
	permAssetRead   = "asset.read"
	permAssetManage = "asset.manage"
)

// maxUploadBytes caps an upload request: one file of attachment.MaxSize plus
// the multipart envelope.
const maxUploadBytes = attachment.MaxSize + 64<<10

// StoredFile is the Response marker of a download: the file's own media type,
// one of those attachments may have.
type StoredFile struct{}

func (StoredFile) ContentTypes() []string { return attachment.ContentTypes() }

type handlers struct{ svc *asset.Service }

// Routes are the asset domain's rows of the route table.
func Routes(svc *asset.Service) []httpapi.Route {
	h := handlers{svc}
	const tag = "asset"
	r, m := permAssetRead, permAssetManage
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/assets", Tag: tag, Summary: "List assets", Permission: r, Query: asset.AssetFilter{}, Response: httpapi.Page[asset.AssetView]{}, Handler: h.listAssets},
		{Method: "POST", Path: "/api/v1/assets", Tag: tag, Summary: "Register an asset", Permission: m, Request: asset.AssetInput{}, Response: asset.AssetView{}, Status: 201, Handler: h.createAsset},
		{Method: "GET", Path: "/api/v1/assets/:id", Tag: tag, Summary: "Get an asset", Permission: r, Object: true, Response: asset.AssetView{}, Handler: h.getAsset},
		{Method: "PUT", Path: "/api/v1/assets/:id", Tag: tag, Summary: "Update an asset", Permission: m, Object: true, Request: asset.AssetInput{}, Response: asset.AssetView{}, Handler: h.updateAsset},
		{Method: "DELETE", Path: "/api/v1/assets/:id", Tag: tag, Summary: "Delete an asset with its plans and history", Permission: m, Object: true, Status: 204, Handler: h.deleteAsset},
		{Method: "GET", Path: "/api/v1/assets/:id/maintenance-records", Tag: tag, Summary: "An asset's maintenance history", Permission: r, Object: true, Response: httpapi.Page[asset.Record]{}, Handler: h.listRecords},
		{Method: "POST", Path: "/api/v1/assets/:id/maintenance-records", Tag: tag, Summary: "Record a maintenance (moves the plan's next due date)", Permission: m, Object: true, Request: asset.RecordInput{}, Response: asset.Record{}, Status: 201, Handler: h.addRecord},

		{Method: "GET", Path: "/api/v1/maintenance-plans", Tag: tag, Summary: "List maintenance plans by next due date (view=due_soon|overdue)", Permission: r, Query: asset.PlanFilter{}, Response: httpapi.Page[asset.PlanView]{}, Handler: h.listMaintenancePlans},
		{Method: "POST", Path: "/api/v1/maintenance-plans", Tag: tag, Summary: "Create a maintenance plan", Permission: m, Request: asset.PlanInput{}, Response: asset.PlanView{}, Status: 201, Handler: h.createMaintenancePlan},
		{Method: "GET", Path: "/api/v1/maintenance-plans/:id", Tag: tag, Summary: "Get a maintenance plan", Permission: r, Object: true, Response: asset.PlanView{}, Handler: h.getMaintenancePlan},
		{Method: "PUT", Path: "/api/v1/maintenance-plans/:id", Tag: tag, Summary: "Update a maintenance plan", Permission: m, Object: true, Request: asset.PlanInput{}, Response: asset.PlanView{}, Handler: h.updateMaintenancePlan},
		{Method: "DELETE", Path: "/api/v1/maintenance-plans/:id", Tag: tag, Summary: "Delete a maintenance plan", Permission: m, Object: true, Status: 204, Handler: h.deleteMaintenancePlan},

		{Method: "POST", Path: "/api/v1/assets/:id/documents", Tag: tag, Summary: "Upload a document of an asset (multipart field \"file\"; PDF, JPEG, PNG, WebP, Office, text or CSV; at most 20 MiB and 50 per asset)",
			Permission: m, Object: true, Response: attachment.Attachment{}, Status: http.StatusCreated, MaxBody: maxUploadBytes, Handler: h.uploadAssetDocument},
		{Method: "GET", Path: "/api/v1/assets/:id/documents", Tag: tag, Summary: "List an asset's uploaded documents (all of them, oldest first)",
			Permission: r, Object: true, Response: httpapi.Page[attachment.Attachment]{}, Handler: h.listAssetDocuments},
		{Method: "GET", Path: "/api/v1/assets/:id/documents/:doc", Tag: tag, Summary: "Download an asset's document (ETag is its SHA-256)",
			Permission: r, Object: true, Response: StoredFile{}, Handler: h.downloadAssetDocument},
		{Method: "DELETE", Path: "/api/v1/assets/:id/documents/:doc", Tag: tag, Summary: "Delete an asset's document",
			Permission: m, Object: true, Status: http.StatusNoContent, Handler: h.deleteAssetDocument},

		{Method: "GET", Path: "/api/v1/imports/assets/template", Tag: "import", Summary: "Download the assets template (?format=xlsx|csv)", Permission: r, Template: &asset.AssetSpec},
		{Method: "POST", Path: "/api/v1/imports/assets", Tag: "import", Summary: "Import assets from .xlsx/.csv: all or nothing unless good_rows_only=true", Permission: m, Import: func() sheet.Importer { return svc.NewAssetImporter() }},
		{Method: "GET", Path: "/api/v1/exports/assets", Tag: "import", Summary: "Export assets with the list's filters (?format=xlsx|csv); the file imports again", Permission: r, Query: asset.AssetFilter{}, Handler: h.exportAssets},
	}
}

func (h handlers) listAssets(c *gin.Context) error {
	var f asset.AssetFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "code", "name", "category", "warranty_end", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListAssets(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createAsset(c *gin.Context) error {
	var in asset.AssetInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateAsset(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getAsset(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetAsset(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) updateAsset(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in asset.AssetInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.UpdateAsset(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) deleteAsset(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteAsset(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) listRecords(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "done_on", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListRecords(c.Request.Context(), httpapi.Tenant(c), id, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) addRecord(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in asset.RecordInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.AddRecord(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) listMaintenancePlans(c *gin.Context) error {
	var f asset.PlanFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "next_due", "name", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListPlans(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createMaintenancePlan(c *gin.Context) error {
	var in asset.PlanInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreatePlan(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getMaintenancePlan(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetPlan(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) updateMaintenancePlan(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in asset.PlanInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.UpdatePlan(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) deleteMaintenancePlan(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeletePlan(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) uploadAssetDocument(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	tenant := httpapi.Tenant(c)
	if err := h.svc.CheckAsset(c.Request.Context(), tenant, id); err != nil {
		return err
	}
	f, err := attachment.FromRequest(c.Request)
	if err != nil {
		return err
	}
	out, err := h.svc.AddDocument(c.Request.Context(), tenant, id, f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) listAssetDocuments(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	items, err := h.svc.ListDocuments(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpapi.Page[attachment.Attachment]{Items: items, Total: int64(len(items)), Page: 1, PageSize: attachment.MaxPerOwner})
	return nil
}

func (h handlers) downloadAssetDocument(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	doc, err := httpapi.PathID(c, "doc")
	if err != nil {
		return err
	}
	tenant := httpapi.Tenant(c)
	a, err := h.svc.Document(c.Request.Context(), tenant, id, doc)
	if err != nil {
		return err
	}
	return httpapi.SendFile(c, httpapi.StoredFile{Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256},
		func(w io.Writer) error { return h.svc.CopyDocument(c.Request.Context(), w, tenant, a) })
}

func (h handlers) deleteAssetDocument(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	doc, err := httpapi.PathID(c, "doc")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteDocument(c.Request.Context(), httpapi.Tenant(c), id, doc); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) exportAssets(c *gin.Context) error {
	var flt asset.AssetFilter
	if err := httpapi.BindQuery(c, &flt); err != nil {
		return err
	}
	f, err := sheet.ParseFormat(c.Query("format"))
	if err != nil {
		return err
	}
	rows, err := h.svc.ExportAssets(c.Request.Context(), httpapi.Tenant(c), flt)
	if err != nil {
		return err
	}
	return httpapi.WriteExport(c, f, asset.AssetSpec, rows)
}
