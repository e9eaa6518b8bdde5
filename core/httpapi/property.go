package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/property"
)

// Permissions of properties.
const (
	permPropertyRead   = "property.read"
	permPropertyManage = "property.manage"
)

func (s *Server) propertyRoutes() []Route {
	const tag = "property"
	r, m := permPropertyRead, permPropertyManage
	return []Route{
		{Method: "GET", Path: "/api/v1/communities", Tag: tag, Summary: "List communities", Permission: r, Query: property.CommunityFilter{}, Response: Page[property.Community]{}, Handler: s.listCommunities},
		{Method: "POST", Path: "/api/v1/communities", Tag: tag, Summary: "Create a community", Permission: m, Request: property.CommunityInput{}, Response: property.Community{}, Status: 201, Handler: s.createCommunity},
		{Method: "GET", Path: "/api/v1/communities/:id", Tag: tag, Summary: "Get a community", Permission: r, Object: true, Response: property.Community{}, Handler: s.getCommunity},
		{Method: "PUT", Path: "/api/v1/communities/:id", Tag: tag, Summary: "Update a community", Permission: m, Object: true, Request: property.CommunityInput{}, Response: property.Community{}, Handler: s.updateCommunity},
		{Method: "DELETE", Path: "/api/v1/communities/:id", Tag: tag, Summary: "Delete an empty community", Permission: m, Object: true, Status: 204, Handler: s.deleteCommunity},

		{Method: "GET", Path: "/api/v1/buildings", Tag: tag, Summary: "List buildings", Permission: r, Query: property.BuildingFilter{}, Response: Page[property.Building]{}, Handler: s.listBuildings},
		{Method: "POST", Path: "/api/v1/buildings", Tag: tag, Summary: "Create a building", Permission: m, Request: property.BuildingInput{}, Response: property.Building{}, Status: 201, Handler: s.createBuilding},
		{Method: "POST", Path: "/api/v1/buildings/generate", Tag: tag, Summary: "Generate a building with units and rooms from a pattern (preview: true only reports)", Permission: m, Request: property.GenerateSpec{}, Response: property.GenerateResult{}, Status: 201, Handler: s.generateBuilding},
		{Method: "GET", Path: "/api/v1/buildings/:id", Tag: tag, Summary: "Get a building", Permission: r, Object: true, Response: property.Building{}, Handler: s.getBuilding},
		{Method: "PUT", Path: "/api/v1/buildings/:id", Tag: tag, Summary: "Update a building", Permission: m, Object: true, Request: property.BuildingInput{}, Response: property.Building{}, Handler: s.updateBuilding},
		{Method: "DELETE", Path: "/api/v1/buildings/:id", Tag: tag, Summary: "Delete a building with its units and rooms (409 while any room is occupied or has residence records)", Permission: m, Object: true, Status: 204, Handler: s.deleteBuilding},

		{Method: "GET", Path: "/api/v1/units", Tag: tag, Summary: "List units", Permission: r, Query: property.UnitFilter{}, Response: Page[property.Unit]{}, Handler: s.listUnits},
		{Method: "POST", Path: "/api/v1/units", Tag: tag, Summary: "Create a unit", Permission: m, Request: property.UnitInput{}, Response: property.Unit{}, Status: 201, Handler: s.createUnit},
		{Method: "GET", Path: "/api/v1/units/:id", Tag: tag, Summary: "Get a unit", Permission: r, Object: true, Response: property.Unit{}, Handler: s.getUnit},
		{Method: "DELETE", Path: "/api/v1/units/:id", Tag: tag, Summary: "Delete a unit with its rooms (409 while any room is occupied or has residence records)", Permission: m, Object: true, Status: 204, Handler: s.deleteUnit},

		{Method: "GET", Path: "/api/v1/rooms", Tag: tag, Summary: "List rooms", Permission: r, Query: property.RoomFilter{}, Response: Page[property.Room]{}, Handler: s.listRooms},
		{Method: "POST", Path: "/api/v1/rooms", Tag: tag, Summary: "Create a room", Permission: m, Request: property.RoomInput{}, Response: property.Room{}, Status: 201, Handler: s.createRoom},
		{Method: "GET", Path: "/api/v1/rooms/:id", Tag: tag, Summary: "Get a room", Permission: r, Object: true, Response: property.Room{}, Handler: s.getRoom},
		{Method: "GET", Path: "/api/v1/rooms/:id/file", Tag: tag, Summary: "A room's file: the room, where it is, and every registered section", Permission: r, Object: true, Response: property.RoomFile{}, Handler: s.roomFile},
		{Method: "PATCH", Path: "/api/v1/rooms/:id", Tag: tag, Summary: "Change a room's fields", Permission: m, Object: true, Request: property.RoomInput{}, Response: property.Room{}, Handler: s.updateRoom},
		{Method: "DELETE", Path: "/api/v1/rooms/:id", Tag: tag, Summary: "Delete a room nobody lives or lived in (409 room_occupied, room_has_history)", Permission: m, Object: true, Status: 204, Handler: s.deleteRoom},

		{Method: "GET", Path: "/api/v1/locations", Tag: tag, Summary: "List common areas", Permission: r, Query: property.CommonAreaFilter{}, Response: Page[property.CommonArea]{}, Handler: s.listCommonAreas},
		{Method: "POST", Path: "/api/v1/locations", Tag: tag, Summary: "Create a common area", Permission: m, Request: property.CommonAreaInput{}, Response: property.CommonArea{}, Status: 201, Handler: s.createCommonArea},
		{Method: "GET", Path: "/api/v1/locations/:id", Tag: tag, Summary: "Resolve a location (a room or a common area)", Permission: r, Object: true, Response: property.Location{}, Handler: s.getLocation},
		{Method: "PUT", Path: "/api/v1/locations/:id", Tag: tag, Summary: "Update a common area", Permission: m, Object: true, Request: property.CommonAreaInput{}, Response: property.CommonArea{}, Handler: s.updateCommonArea},
		{Method: "DELETE", Path: "/api/v1/locations/:id", Tag: tag, Summary: "Delete a common area", Permission: m, Object: true, Status: 204, Handler: s.deleteCommonArea},
	}
}

// ---- communities

func (s *Server) listCommunities(c *gin.Context) error {
	var f property.CommunityFilter
	if err := BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := ListPaging(c, "name", "code", "created_at")
	if err != nil {
		return err
	}
	items, total, err := s.Property.ListCommunities(c.Request.Context(), Tenant(c), f, p)
	if err != nil {
		return err
	}
	WritePage(c, pq, items, total)
	return nil
}

func (s *Server) createCommunity(c *gin.Context) error {
	var in property.CommunityInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Property.CreateCommunity(c.Request.Context(), Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) getCommunity(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := s.Property.GetCommunity(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) updateCommunity(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in property.CommunityInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	before, err := s.Property.GetCommunity(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	out, err := s.Property.UpdateCommunity(c.Request.Context(), Tenant(c), id, in)
	if err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, out)
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) deleteCommunity(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	before, err := s.Property.GetCommunity(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	if err := s.Property.DeleteCommunity(c.Request.Context(), Tenant(c), id); err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, nil)
	c.Status(http.StatusNoContent)
	return nil
}

// ---- buildings

func (s *Server) listBuildings(c *gin.Context) error {
	var f property.BuildingFilter
	if err := BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := ListPaging(c, "name", "created_at")
	if err != nil {
		return err
	}
	items, total, err := s.Property.ListBuildings(c.Request.Context(), Tenant(c), f, p)
	if err != nil {
		return err
	}
	WritePage(c, pq, items, total)
	return nil
}

func (s *Server) createBuilding(c *gin.Context) error {
	var in property.BuildingInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Property.CreateBuilding(c.Request.Context(), Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) generateBuilding(c *gin.Context) error {
	var in property.GenerateSpec
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Property.GenerateBuilding(c.Request.Context(), Tenant(c), in)
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

func (s *Server) getBuilding(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := s.Property.GetBuilding(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) updateBuilding(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in property.BuildingInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	before, err := s.Property.GetBuilding(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	out, err := s.Property.UpdateBuilding(c.Request.Context(), Tenant(c), id, in)
	if err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, out)
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) deleteBuilding(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	before, err := s.Property.GetBuilding(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	if err := s.Property.DeleteBuilding(c.Request.Context(), Tenant(c), id); err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, nil)
	c.Status(http.StatusNoContent)
	return nil
}

// ---- units

func (s *Server) listUnits(c *gin.Context) error {
	var f property.UnitFilter
	if err := BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := ListPaging(c, "name", "created_at")
	if err != nil {
		return err
	}
	items, total, err := s.Property.ListUnits(c.Request.Context(), Tenant(c), f, p)
	if err != nil {
		return err
	}
	WritePage(c, pq, items, total)
	return nil
}

func (s *Server) createUnit(c *gin.Context) error {
	var in property.UnitInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Property.CreateUnit(c.Request.Context(), Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) getUnit(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := s.Property.GetUnit(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) deleteUnit(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Property.DeleteUnit(c.Request.Context(), Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// ---- rooms

func (s *Server) listRooms(c *gin.Context) error {
	var f property.RoomFilter
	if err := BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := ListPaging(c, "number", "floor", "built_area", "status", "created_at")
	if err != nil {
		return err
	}
	items, total, err := s.Property.ListRooms(c.Request.Context(), Tenant(c), f, p)
	if err != nil {
		return err
	}
	WritePage(c, pq, items, total)
	return nil
}

func (s *Server) createRoom(c *gin.Context) error {
	var in property.RoomInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Property.CreateRoom(c.Request.Context(), Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) getRoom(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := s.Property.GetRoom(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) roomFile(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := s.Property.RoomFile(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) updateRoom(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in property.RoomInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	before, err := s.Property.GetRoom(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	out, err := s.Property.UpdateRoom(c.Request.Context(), Tenant(c), id, in)
	if err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, out)
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) deleteRoom(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	before, err := s.Property.GetRoom(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	if err := s.Property.DeleteRoom(c.Request.Context(), Tenant(c), id); err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, nil)
	c.Status(http.StatusNoContent)
	return nil
}

// ---- locations (common areas; any location id resolves)

func (s *Server) listCommonAreas(c *gin.Context) error {
	var f property.CommonAreaFilter
	if err := BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := ListPaging(c, "name", "category", "created_at")
	if err != nil {
		return err
	}
	items, total, err := s.Property.ListCommonAreas(c.Request.Context(), Tenant(c), f, p)
	if err != nil {
		return err
	}
	WritePage(c, pq, items, total)
	return nil
}

func (s *Server) createCommonArea(c *gin.Context) error {
	var in property.CommonAreaInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Property.CreateCommonArea(c.Request.Context(), Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) getLocation(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := s.Property.Location(c.Request.Context(), Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) updateCommonArea(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in property.CommonAreaInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Property.UpdateCommonArea(c.Request.Context(), Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) deleteCommonArea(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Property.DeleteCommonArea(c.Request.Context(), Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
