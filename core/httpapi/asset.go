package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/asset"
)

// Permissions of the equipment register.
const (
	permAssetRead   = "asset.read"
	permAssetManage = "asset.manage"
)

func (s *Server) assetRoutes() []Route {
	const tag = "asset"
	r, m := permAssetRead, permAssetManage
	return []Route{
		{Method: "GET", Path: "/api/v1/assets", Tag: tag, Summary: "List assets", Permission: r, Query: asset.AssetFilter{}, Response: Page[asset.AssetView]{}, Handler: s.listAssets},
		{Method: "POST", Path: "/api/v1/assets", Tag: tag, Summary: "Register an asset", Permission: m, Request: asset.AssetInput{}, Response: asset.AssetView{}, Status: 201, Handler: s.createAsset},
		{Method: "GET", Path: "/api/v1/assets/:id", Tag: tag, Summary: "Get an asset", Permission: r, Object: true, Response: asset.AssetView{}, Handler: s.getAsset},
		{Method: "PUT", Path: "/api/v1/assets/:id", Tag: tag, Summary: "Update an asset", Permission: m, Object: true, Request: asset.AssetInput{}, Response: asset.AssetView{}, Handler: s.updateAsset},
		{Method: "DELETE", Path: "/api/v1/assets/:id", Tag: tag, Summary: "Delete an asset with its plans and history", Permission: m, Object: true, Status: 204, Handler: s.deleteAsset},
		{Method: "GET", Path: "/api/v1/assets/:id/maintenance-records", Tag: tag, Summary: "An asset's maintenance history", Permission: r, Object: true, Response: Page[asset.Record]{}, Handler: s.listRecords},
		{Method: "POST", Path: "/api/v1/assets/:id/maintenance-records", Tag: tag, Summary: "Record a maintenance (moves the plan's next due date)", Permission: m, Object: true, Request: asset.RecordInput{}, Response: asset.Record{}, Status: 201, Handler: s.addRecord},

		{Method: "GET", Path: "/api/v1/maintenance-plans", Tag: tag, Summary: "List maintenance plans by next due date (view=due_soon|overdue)", Permission: r, Query: asset.PlanFilter{}, Response: Page[asset.PlanView]{}, Handler: s.listMaintenancePlans},
		{Method: "POST", Path: "/api/v1/maintenance-plans", Tag: tag, Summary: "Create a maintenance plan", Permission: m, Request: asset.PlanInput{}, Response: asset.PlanView{}, Status: 201, Handler: s.createMaintenancePlan},
		{Method: "GET", Path: "/api/v1/maintenance-plans/:id", Tag: tag, Summary: "Get a maintenance plan", Permission: r, Object: true, Response: asset.PlanView{}, Handler: s.getMaintenancePlan},
		{Method: "PUT", Path: "/api/v1/maintenance-plans/:id", Tag: tag, Summary: "Update a maintenance plan", Permission: m, Object: true, Request: asset.PlanInput{}, Response: asset.PlanView{}, Handler: s.updateMaintenancePlan},
		{Method: "DELETE", Path: "/api/v1/maintenance-plans/:id", Tag: tag, Summary: "Delete a maintenance plan", Permission: m, Object: true, Status: 204, Handler: s.deleteMaintenancePlan},
	}
}

func (s *Server) listAssets(c *gin.Context) error {
	var f asset.AssetFilter
	if err := BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := ListPaging(c, "code", "name", "category", "warranty_end", "created_at")
	if err != nil {
		return err
	}
	items, total, err := s.Assets.ListAssets(c.Request.Context(), Tenant(c), f, p)
	if err != nil {
		return err
	}
	WritePage(c, pq, items, total)
	return nil
}

func (s *Server) createAsset(c *gin.Context) error {
	var in asset.AssetInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Assets.CreateAsset(c.Request.Context(), Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) getAsset(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := s.Assets.GetAsset(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) updateAsset(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in asset.AssetInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Assets.UpdateAsset(c.Request.Context(), Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) deleteAsset(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Assets.DeleteAsset(c.Request.Context(), Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) listRecords(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	pq, p, err := ListPaging(c, "done_on", "created_at")
	if err != nil {
		return err
	}
	items, total, err := s.Assets.ListRecords(c.Request.Context(), Tenant(c), id, p)
	if err != nil {
		return err
	}
	WritePage(c, pq, items, total)
	return nil
}

func (s *Server) addRecord(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in asset.RecordInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Assets.AddRecord(c.Request.Context(), Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) listMaintenancePlans(c *gin.Context) error {
	var f asset.PlanFilter
	if err := BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := ListPaging(c, "next_due", "name", "created_at")
	if err != nil {
		return err
	}
	items, total, err := s.Assets.ListPlans(c.Request.Context(), Tenant(c), f, p)
	if err != nil {
		return err
	}
	WritePage(c, pq, items, total)
	return nil
}

func (s *Server) createMaintenancePlan(c *gin.Context) error {
	var in asset.PlanInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Assets.CreatePlan(c.Request.Context(), Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) getMaintenancePlan(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := s.Assets.GetPlan(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) updateMaintenancePlan(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in asset.PlanInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Assets.UpdatePlan(c.Request.Context(), Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) deleteMaintenancePlan(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Assets.DeletePlan(c.Request.Context(), Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
