// Package residentapi serves the resident domain over HTTP: rows of the one
// route table (httpapi.Route) whose handlers bind the input, call the
// resident.Service and write the answer. The service opens its own tenant
// transactions (joining a write request's), so nothing here touches the database.
package residentapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/sheet"
)

// PersonPage is a page of the person list. The total is counted up to
// resident.MaxCount; total_capped says more matched.
type PersonPage struct {
	httpapi.Page[resident.PersonSummary]
	TotalCapped bool `json:"total_capped,omitempty"`
}

// PersonQuery documents the filters of GET /persons.
type PersonQuery struct {
	Name     string `form:"name"`      // contains (one character: surname)
	Phone    string `form:"phone"`     // full number, or its last four digits
	IDNumber string `form:"id_number"` // exact
	RoomID   string `form:"room_id"`   // people living in the room now
	Tag      string `form:"tag"`       // care tag
	Page     int    `form:"page"`
	PageSize int    `form:"page_size"`
}

// CareQuery filters the care list.
type CareQuery struct {
	Tag      string `form:"tag"`
	Page     int    `form:"page"`
	PageSize int    `form:"page_size"`
}

// VehicleQuery filters the vehicle list; plate=… is the exact lookup gates and
// parking use (0 or 1 item).
type VehicleQuery struct {
	httpapi.PageQuery
	Plate    string `form:"plate" json:"plate"`
	PersonID string `form:"person_id" json:"person_id"`
}

// ResidentExportQuery are the filters of the residents export (those of the person list).
type ResidentExportQuery struct {
	Format   string `form:"format"`    // xlsx (default) or csv
	Name     string `form:"name"`      // contains (one character: surname)
	Phone    string `form:"phone"`     // full number, or its last four digits
	IDNumber string `form:"id_number"` // exact
	RoomID   string `form:"room_id"`   // people living in the room now
	Tag      string `form:"tag"`       // care tag
}

// LinkAccountInput links a resident user account to a person.
type LinkAccountInput struct {
	UserID uuid.UUID `json:"user_id"`
}

type api struct{ svc *resident.Service }

// Routes are the resident domain's rows of the route table.
func Routes(svc *resident.Service) []httpapi.Route {
	a := api{svc}
	const tag = "residents"
	r, m := resident.PermRead, resident.PermManage
	spec := resident.ResidentSpec
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/persons", Permission: r, Tag: tag, Summary: "Search persons by name, phone, ID number, room or care tag (numbers masked)", Query: PersonQuery{}, Response: PersonPage{}, Handler: a.listPersons},
		{Method: "POST", Path: "/api/v1/persons", Permission: m, Tag: tag, Summary: "Add a person", Request: resident.PersonInput{}, Response: resident.Person{}, Status: http.StatusCreated, Handler: a.createPerson},
		{Method: "GET", Path: "/api/v1/persons/:id", Permission: r, Object: true, Tag: tag, Summary: "A person with phones, contacts, tags, occupancies, vehicles and pets (numbers masked)", Response: resident.Person{}, Handler: a.getPerson},
		{Method: "PATCH", Path: "/api/v1/persons/:id", Permission: m, Object: true, Tag: tag, Summary: "Change a person", Request: resident.PersonPatch{}, Response: resident.Person{}, Handler: a.patchPerson},
		{Method: "DELETE", Path: "/api/v1/persons/:id", Permission: m, Object: true, Tag: tag, Summary: "Delete a person who no longer lives anywhere", Status: http.StatusNoContent, Handler: a.deletePerson},
		{Method: "GET", Path: "/api/v1/persons/:id/pii", Permission: resident.PermPIIRead, Object: true, Tag: tag, Summary: "Reveal a person's full phone and ID numbers (audited)", Response: resident.PII{}, Handler: a.revealPII},
		{Method: "POST", Path: "/api/v1/persons/:id/occupancies", Permission: m, Object: true, Tag: tag, Summary: "Move a person into a room", Request: resident.OccupancyInput{}, Response: resident.Occupancy{}, Status: http.StatusCreated, Handler: a.moveIn},
		{Method: "POST", Path: "/api/v1/occupancies/:id/move-out", Permission: m, Object: true, Tag: tag, Summary: "Record a move-out", Request: resident.MoveOutInput{}, Response: resident.Occupancy{}, Handler: a.moveOut},
		{Method: "GET", Path: "/api/v1/households/:id", Permission: r, Object: true, Tag: tag, Summary: "A household and its members", Response: resident.Household{}, Handler: a.getHousehold},
		{Method: "PUT", Path: "/api/v1/persons/:id/tags/:tag", Permission: m, Object: true, Tag: tag, Summary: "Set a care tag with its reason", Request: resident.CareTagInput{}, Response: resident.CareTag{}, Handler: a.setTag},
		{Method: "DELETE", Path: "/api/v1/persons/:id/tags/:tag", Permission: m, Object: true, Tag: tag, Summary: "Remove a care tag", Status: http.StatusNoContent, Handler: a.removeTag},
		{Method: "GET", Path: "/api/v1/care-tags", Permission: r, Tag: tag, Summary: "Care list: tagged persons with reason, who set it and their rooms", Query: CareQuery{}, Response: httpapi.Page[resident.CareTag]{}, Handler: a.careList},
		{Method: "POST", Path: "/api/v1/persons/:id/vehicles", Permission: m, Object: true, Tag: tag, Summary: "Register a vehicle", Request: resident.VehicleInput{}, Response: resident.Vehicle{}, Status: http.StatusCreated, Handler: a.addVehicle},
		{Method: "GET", Path: "/api/v1/vehicles", Permission: r, Tag: tag, Summary: "List registered vehicles; plate=… looks one plate up exactly", Query: VehicleQuery{}, Response: httpapi.Page[resident.Vehicle]{}, Handler: a.listVehicles},
		{Method: "DELETE", Path: "/api/v1/vehicles/:id", Permission: m, Object: true, Tag: tag, Summary: "Remove a vehicle", Status: http.StatusNoContent, Handler: a.deleteVehicle},
		{Method: "POST", Path: "/api/v1/persons/:id/pets", Permission: m, Object: true, Tag: tag, Summary: "Register a pet", Request: resident.PetInput{}, Response: resident.Pet{}, Status: http.StatusCreated, Handler: a.addPet},
		{Method: "DELETE", Path: "/api/v1/pets/:id", Permission: m, Object: true, Tag: tag, Summary: "Remove a pet", Status: http.StatusNoContent, Handler: a.deletePet},
		{Method: "PUT", Path: "/api/v1/persons/:id/account", Permission: m, Object: true, Tag: tag, Summary: "Link a resident user account to the person", Request: LinkAccountInput{}, Status: http.StatusNoContent, Handler: a.linkAccount},
		{Method: "DELETE", Path: "/api/v1/persons/:id/account", Permission: m, Object: true, Tag: tag, Summary: "Unlink the person's user account", Status: http.StatusNoContent, Handler: a.unlinkAccount},
		{Method: "GET", Path: "/api/v1/me/rooms", Permission: resident.PermSelf, Tag: tag, Summary: "The rooms the signed-in resident lives in, with the people there", Response: []resident.MyRoom{}, Handler: a.myRooms},
		{Method: "GET", Path: "/api/v1/me/rooms/:id", Permission: resident.PermSelf, Object: true, Tag: tag, Summary: "One of the signed-in resident's rooms", Response: resident.MyRoom{}, Handler: a.myRoom},

		// Spreadsheets: the server supplies the upload and template handlers.
		{Method: "GET", Path: "/api/v1/imports/residents/template", Tag: "import", Summary: "Download the residents template (?format=xlsx|csv)", Permission: r, Template: &spec},
		{Method: "POST", Path: "/api/v1/imports/residents", Tag: "import", Summary: "Import residents with their rooms (one row per person in a room) from .xlsx/.csv: all or nothing unless good_rows_only=true", Permission: m, Import: func() sheet.Importer { return svc.NewImporter() }},
		{Method: "GET", Path: "/api/v1/exports/residents", Tag: "import", Summary: "Export residents with the person list's filters (?format=xlsx|csv); phone and ID numbers masked unless the caller holds resident.pii.read (then audited)", Permission: r, Query: ResidentExportQuery{}, Handler: a.exportResidents},
	}
}

// idParam reads an optional id filter; a bad one is a field problem naming it.
func idParam(v, field, zh string, fe *[]apperr.FieldError) uuid.UUID {
	if v == "" {
		return uuid.Nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		*fe = append(*fe, apperr.FieldError{Field: field, Code: "invalid_id", EN: field + " is not an id", ZH: zh})
	}
	return id
}

// filter reads the person filters shared by the list and the export.
func filter(c *gin.Context, fe *[]apperr.FieldError) resident.Filter {
	return resident.Filter{Name: c.Query("name"), Phone: c.Query("phone"), IDNumber: c.Query("id_number"), Tag: c.Query("tag"),
		RoomID: idParam(c.Query("room_id"), "room_id", "房屋编号格式不正确", fe)}
}

// listPaging reads the page and checks it together with the filters' problems
// fe, reporting every problem at once.
func listPaging(c *gin.Context, fe []apperr.FieldError) (httpapi.PageQuery, error) {
	pq, _, pfe := httpapi.PageFields(c)
	if fe = append(pfe, fe...); len(fe) > 0 {
		return pq, apperr.Invalid.WithDetails(fe)
	}
	return pq, nil
}

// page is the domain's paging of a checked page query (the orders are fixed).
func page(pq httpapi.PageQuery) paging.Paging {
	return paging.Paging{Offset: (pq.Page - 1) * pq.PageSize, Limit: pq.PageSize}
}

func (a api) listPersons(c *gin.Context) error {
	var fe []apperr.FieldError
	f := filter(c, &fe)
	pq, err := listPaging(c, fe)
	if err != nil {
		return err
	}
	res, err := a.svc.Search(c.Request.Context(), httpapi.Tenant(c), f, page(pq))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, PersonPage{Page: httpapi.Page[resident.PersonSummary]{Items: res.Items, Total: res.Total, Page: pq.Page, PageSize: pq.PageSize}, TotalCapped: res.Capped})
	return nil
}

func (a api) createPerson(c *gin.Context) error {
	var in resident.PersonInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := a.svc.CreatePerson(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (a api) getPerson(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := a.svc.GetPerson(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (a api) patchPerson(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.PersonPatch
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	ctx, t := c.Request.Context(), httpapi.Tenant(c)
	// Both calls join the request's transaction.
	before, err := a.svc.GetPerson(ctx, t, id)
	if err != nil {
		return err
	}
	out, err := a.svc.UpdatePerson(ctx, t, id, in)
	if err != nil {
		return err
	}
	// A person's name is personal data too: masked like phones and ID numbers.
	audit.From(ctx).Diff(before, out, "name", "emergency_contacts.name")
	c.JSON(http.StatusOK, out)
	return nil
}

func (a api) deletePerson(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx, t := c.Request.Context(), httpapi.Tenant(c)
	before, err := a.svc.GetPerson(ctx, t, id)
	if err != nil {
		return err
	}
	if err := a.svc.DeletePerson(ctx, t, id); err != nil {
		return err
	}
	audit.From(ctx).Diff(before, nil, "name", "emergency_contacts.name")
	c.Status(http.StatusNoContent)
	return nil
}

func (a api) revealPII(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := a.svc.RevealPII(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (a api) moveIn(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.OccupancyInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := a.svc.MoveIn(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (a api) moveOut(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.MoveOutInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := a.svc.MoveOut(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (a api) getHousehold(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := a.svc.GetHousehold(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (a api) setTag(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.CareTagInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := a.svc.SetTag(c.Request.Context(), httpapi.Tenant(c), id, c.Param("tag"), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (a api) removeTag(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.RemoveTag(c.Request.Context(), httpapi.Tenant(c), id, c.Param("tag")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a api) careList(c *gin.Context) error {
	pq, err := listPaging(c, nil)
	if err != nil {
		return err
	}
	items, total, err := a.svc.CareList(c.Request.Context(), httpapi.Tenant(c), c.Query("tag"), page(pq))
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (a api) addVehicle(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.VehicleInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := a.svc.AddVehicle(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (a api) listVehicles(c *gin.Context) error {
	var fe []apperr.FieldError
	f := resident.VehicleFilter{Plate: c.Query("plate"), PersonID: idParam(c.Query("person_id"), "person_id", "人员编号格式不正确", &fe)}
	pq, err := listPaging(c, fe)
	if err != nil {
		return err
	}
	items, total, err := a.svc.ListVehicles(c.Request.Context(), httpapi.Tenant(c), f, page(pq))
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (a api) deleteVehicle(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.DeleteVehicle(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a api) addPet(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.PetInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := a.svc.AddPet(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (a api) deletePet(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.DeletePet(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a api) linkAccount(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in LinkAccountInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if in.UserID == uuid.Nil {
		return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "user_id", Code: "required", EN: "user_id is required", ZH: "须指定账号"}})
	}
	if err := a.svc.LinkAccount(c.Request.Context(), httpapi.Tenant(c), id, in.UserID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a api) unlinkAccount(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.LinkAccount(c.Request.Context(), httpapi.Tenant(c), id, uuid.Nil); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a api) myRooms(c *gin.Context) error {
	me := httpapi.Actor(c)
	out, err := a.svc.MyRooms(c.Request.Context(), me.TenantID, me.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (a api) myRoom(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	me := httpapi.Actor(c)
	out, err := a.svc.MyRoomByID(c.Request.Context(), me.TenantID, me.ID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (a api) exportResidents(c *gin.Context) error {
	var fe []apperr.FieldError
	flt := filter(c, &fe)
	if len(fe) > 0 {
		return apperr.Invalid.WithDetails(fe)
	}
	f, err := sheet.ParseFormat(c.Query("format"))
	if err != nil {
		return err
	}
	rows, err := a.svc.ExportSheet(c.Request.Context(), httpapi.Tenant(c), flt)
	if err != nil {
		return err
	}
	return httpapi.WriteExport(c, f, resident.ResidentSpec, rows)
}
