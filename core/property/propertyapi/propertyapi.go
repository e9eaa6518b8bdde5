// Package propertyapi is the HTTP face of the property domain: communities,
// buildings, units, rooms, the room file, locations, bulk generation and the
// rooms spreadsheet (template, import, export).
package propertyapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/sheet"
)

// Permissions of properties.
const (
	permPropertyRead   = "property.read"
	permPropertyManage = "property.manage"
)

type handlers struct{ svc *property.Service }

// Routes are the property domain's rows of the route table.
func Routes(svc *property.Service) []httpapi.Route {
	h := handlers{svc}
	const tag = "property"
	r, m := permPropertyRead, permPropertyManage
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/communities", Tag: tag, Summary: "List communities", Permission: r, Query: property.CommunityFilter{}, Response: httpapi.Page[property.Community]{}, Handler: h.listCommunities},
		{Method: "POST", Path: "/api/v1/communities", Tag: tag, Summary: "Create a community", Permission: m, Request: property.CommunityInput{}, Response: property.Community{}, Status: 201, Handler: h.createCommunity},
		{Method: "GET", Path: "/api/v1/communities/:id", Tag: tag, Summary: "Get a community", Permission: r, Object: true, Response: property.Community{}, Handler: h.getCommunity},
		{Method: "PUT", Path: "/api/v1/communities/:id", Tag: tag, Summary: "Update a community", Permission: m, Object: true, Request: property.CommunityInput{}, Response: property.Community{}, Handler: h.updateCommunity},
		{Method: "DELETE", Path: "/api/v1/communities/:id", Tag: tag, Summary: "Delete an empty community", Permission: m, Object: true, Status: 204, Handler: h.deleteCommunity},

		{Method: "GET", Path: "/api/v1/buildings", Tag: tag, Summary: "List buildings", Permission: r, Query: property.BuildingFilter{}, Response: httpapi.Page[property.Building]{}, Handler: h.listBuildings},
		{Method: "POST", Path: "/api/v1/buildings", Tag: tag, Summary: "Create a building", Permission: m, Request: property.BuildingInput{}, Response: property.Building{}, Status: 201, Handler: h.createBuilding},
		{Method: "POST", Path: "/api/v1/buildings/generate", Tag: tag, Summary: "Generate a building with units and rooms from a pattern (preview: true only reports)", Permission: m, Request: property.GenerateSpec{}, Response: property.GenerateResult{}, Status: 201, Handler: h.generateBuilding},
		{Method: "GET", Path: "/api/v1/buildings/:id", Tag: tag, Summary: "Get a building", Permission: r, Object: true, Response: property.Building{}, Handler: h.getBuilding},
		{Method: "PUT", Path: "/api/v1/buildings/:id", Tag: tag, Summary: "Update a building", Permission: m, Object: true, Request: property.BuildingInput{}, Response: property.Building{}, Handler: h.updateBuilding},
		{Method: "DELETE", Path: "/api/v1/buildings/:id", Tag: tag, Summary: "Delete a building with its units and rooms (409 while any room is occupied or has residence records)", Permission: m, Object: true, Status: 204, Handler: h.deleteBuilding},

		{Method: "GET", Path: "/api/v1/units", Tag: tag, Summary: "List units", Permission: r, Query: property.UnitFilter{}, Response: httpapi.Page[property.Unit]{}, Handler: h.listUnits},
		{Method: "POST", Path: "/api/v1/units", Tag: tag, Summary: "Create a unit", Permission: m, Request: property.UnitInput{}, Response: property.Unit{}, Status: 201, Handler: h.createUnit},
		{Method: "GET", Path: "/api/v1/units/:id", Tag: tag, Summary: "Get a unit", Permission: r, Object: true, Response: property.Unit{}, Handler: h.getUnit},
		{Method: "DELETE", Path: "/api/v1/units/:id", Tag: tag, Summary: "Delete a unit with its rooms (409 while any room is occupied or has residence records)", Permission: m, Object: true, Status: 204, Handler: h.deleteUnit},

		{Method: "GET", Path: "/api/v1/rooms", Tag: tag, Summary: "List rooms", Permission: r, Query: property.RoomFilter{}, Response: httpapi.Page[property.Room]{}, Handler: h.listRooms},
		{Method: "POST", Path: "/api/v1/rooms", Tag: tag, Summary: "Create a room", Permission: m, Request: property.RoomInput{}, Response: property.Room{}, Status: 201, Handler: h.createRoom},
		{Method: "GET", Path: "/api/v1/rooms/:id", Tag: tag, Summary: "Get a room", Permission: r, Object: true, Response: property.Room{}, Handler: h.getRoom},
		{Method: "GET", Path: "/api/v1/rooms/:id/file", Tag: tag, Summary: "A room's file: the room, where it is, and every registered section", Permission: r, Object: true, Response: property.RoomFile{}, Handler: h.roomFile},
		{Method: "PATCH", Path: "/api/v1/rooms/:id", Tag: tag, Summary: "Change a room's fields", Permission: m, Object: true, Request: property.RoomInput{}, Response: property.Room{}, Handler: h.updateRoom},
		{Method: "DELETE", Path: "/api/v1/rooms/:id", Tag: tag, Summary: "Delete a room nobody lives or lived in (409 room_occupied, room_has_history)", Permission: m, Object: true, Status: 204, Handler: h.deleteRoom},

		{Method: "GET", Path: "/api/v1/locations", Tag: tag, Summary: "List common areas", Permission: r, Query: property.CommonAreaFilter{}, Response: httpapi.Page[property.CommonArea]{}, Handler: h.listCommonAreas},
		{Method: "POST", Path: "/api/v1/locations", Tag: tag, Summary: "Create a common area", Permission: m, Request: property.CommonAreaInput{}, Response: property.CommonArea{}, Status: 201, Handler: h.createCommonArea},
		{Method: "GET", Path: "/api/v1/locations/:id", Tag: tag, Summary: "Resolve a location (a room or a common area)", Permission: r, Object: true, Response: property.Location{}, Handler: h.getLocation},
		{Method: "PUT", Path: "/api/v1/locations/:id", Tag: tag, Summary: "Update a common area", Permission: m, Object: true, Request: property.CommonAreaInput{}, Response: property.CommonArea{}, Handler: h.updateCommonArea},
		{Method: "DELETE", Path: "/api/v1/locations/:id", Tag: tag, Summary: "Delete a common area", Permission: m, Object: true, Status: 204, Handler: h.deleteCommonArea},

		{Method: "GET", Path: "/api/v1/imports/rooms/template", Tag: "import", Summary: "Download the rooms template (?format=xlsx|csv)", Permission: r, Template: &property.RoomSpec},
		{Method: "POST", Path: "/api/v1/imports/rooms", Tag: "import", Summary: "Import rooms from .xlsx/.csv: rows naming an existing room (community, building, unit, number) update it, others create; all or nothing unless good_rows_only=true", Permission: m, Import: func() sheet.Importer { return svc.NewRoomImporter() }},
		{Method: "GET", Path: "/api/v1/exports/rooms", Tag: "import", Summary: "Export rooms with the list's filters (?format=xlsx|csv); the file imports again", Permission: r, Query: property.RoomFilter{}, Handler: h.exportRooms},
	}
}

// ---- communities

func (h handlers) listCommunities(c *gin.Context) error {
	var f property.CommunityFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "name", "code", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListCommunities(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createCommunity(c *gin.Context) error {
	var in property.CommunityInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateCommunity(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getCommunity(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetCommunity(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) updateCommunity(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in property.CommunityInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	before, err := h.svc.GetCommunity(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	out, err := h.svc.UpdateCommunity(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, out)
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) deleteCommunity(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	before, err := h.svc.GetCommunity(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteCommunity(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, nil)
	c.Status(http.StatusNoContent)
	return nil
}

// ---- buildings

func (h handlers) listBuildings(c *gin.Context) error {
	var f property.BuildingFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "name", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListBuildings(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createBuilding(c *gin.Context) error {
	var in property.BuildingInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateBuilding(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) generateBuilding(c *gin.Context) error {
	var in property.GenerateSpec
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.GenerateBuilding(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if out.Preview {
		status = http.StatusOK
	}
	c.JSON(status, out)
	return nil
}

func (h handlers) getBuilding(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetBuilding(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) updateBuilding(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in property.BuildingInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	before, err := h.svc.GetBuilding(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	out, err := h.svc.UpdateBuilding(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, out)
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) deleteBuilding(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	before, err := h.svc.GetBuilding(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteBuilding(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, nil)
	c.Status(http.StatusNoContent)
	return nil
}

// ---- units

func (h handlers) listUnits(c *gin.Context) error {
	var f property.UnitFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "name", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListUnits(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createUnit(c *gin.Context) error {
	var in property.UnitInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateUnit(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getUnit(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetUnit(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) deleteUnit(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteUnit(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// ---- rooms

func (h handlers) listRooms(c *gin.Context) error {
	var f property.RoomFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "number", "floor", "built_area", "status", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListRooms(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createRoom(c *gin.Context) error {
	var in property.RoomInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateRoom(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getRoom(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetRoom(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) roomFile(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.RoomFile(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) updateRoom(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in property.RoomInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	before, err := h.svc.GetRoom(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	out, err := h.svc.UpdateRoom(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, out)
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) deleteRoom(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	before, err := h.svc.GetRoom(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteRoom(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, nil)
	c.Status(http.StatusNoContent)
	return nil
}

// ---- locations (common areas; any location id resolves)

func (h handlers) listCommonAreas(c *gin.Context) error {
	var f property.CommonAreaFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "name", "category", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListCommonAreas(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createCommonArea(c *gin.Context) error {
	var in property.CommonAreaInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateCommonArea(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getLocation(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.Location(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) updateCommonArea(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in property.CommonAreaInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.UpdateCommonArea(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) deleteCommonArea(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteCommonArea(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) exportRooms(c *gin.Context) error {
	var flt property.RoomFilter
	if err := httpapi.BindQuery(c, &flt); err != nil {
		return err
	}
	f, err := sheet.ParseFormat(c.Query("format"))
	if err != nil {
		return err
	}
	rows, err := h.svc.ExportRooms(c.Request.Context(), httpapi.Tenant(c), flt)
	if err != nil {
		return err
	}
	return httpapi.WriteExport(c, f, property.RoomSpec, rows)
}
