package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/resident"
)

// PersonPage is a page of the person list. The total is counted up to
// resident.MaxCount; total_capped says more matched.
type PersonPage struct {
	Page[resident.PersonSummary]
	TotalCapped bool `json:"total_capped,omitempty"`
}

// personQuery documents the filters of GET /persons.
type personQuery struct {
	Name     string `form:"name"`      // contains (1-2 characters: starts or ends with)
	Phone    string `form:"phone"`     // full number, or its last four digits
	IDNumber string `form:"id_number"` // exact
	RoomID   string `form:"room_id"`   // people living in the room now
	Tag      string `form:"tag"`       // care tag
	Page     int    `form:"page"`
	PageSize int    `form:"page_size"`
}

type careQuery struct {
	Tag      string `form:"tag"`
	Page     int    `form:"page"`
	PageSize int    `form:"page_size"`
}

// vehicleQuery filters the vehicle list; plate=… is the exact lookup gates and
// parking use (0 or 1 item).
type vehicleQuery struct {
	PageQuery
	Plate    string `form:"plate" json:"plate"`
	PersonID string `form:"person_id" json:"person_id"`
}

// LinkAccountInput links a resident user account to a person.
type LinkAccountInput struct {
	UserID uuid.UUID `json:"user_id"`
}

func (s *Server) residentRoutes() []Route {
	if s.Residents == nil {
		return nil
	}
	const tag = "residents"
	r, m := resident.PermRead, resident.PermManage
	return []Route{
		{Method: "GET", Path: "/api/v1/persons", Permission: r, Tag: tag, Summary: "Search persons by name, phone, ID number, room or care tag (numbers masked)", Query: personQuery{}, Response: PersonPage{}, Handler: s.listPersons},
		{Method: "POST", Path: "/api/v1/persons", Permission: m, Tag: tag, Summary: "Add a person", Request: resident.PersonInput{}, Response: resident.Person{}, Status: http.StatusCreated, Handler: s.createPerson},
		{Method: "GET", Path: "/api/v1/persons/:id", Permission: r, Object: true, Tag: tag, Summary: "A person with phones, contacts, tags, occupancies, vehicles and pets (numbers masked)", Response: resident.Person{}, Handler: s.getPerson},
		{Method: "PATCH", Path: "/api/v1/persons/:id", Permission: m, Object: true, Tag: tag, Summary: "Change a person", Request: resident.PersonPatch{}, Response: resident.Person{}, Handler: s.patchPerson},
		{Method: "DELETE", Path: "/api/v1/persons/:id", Permission: m, Object: true, Tag: tag, Summary: "Delete a person who no longer lives anywhere", Status: http.StatusNoContent, Handler: s.deletePerson},
		{Method: "GET", Path: "/api/v1/persons/:id/pii", Permission: resident.PermPIIRead, Object: true, Tag: tag, Summary: "Reveal a person's full phone and ID numbers (audited)", Response: resident.PII{}, Handler: s.revealPII},
		{Method: "POST", Path: "/api/v1/persons/:id/occupancies", Permission: m, Object: true, Tag: tag, Summary: "Move a person into a room", Request: resident.OccupancyInput{}, Response: resident.Occupancy{}, Status: http.StatusCreated, Handler: s.moveIn},
		{Method: "POST", Path: "/api/v1/occupancies/:id/move-out", Permission: m, Object: true, Tag: tag, Summary: "Record a move-out", Request: resident.MoveOutInput{}, Response: resident.Occupancy{}, Handler: s.moveOut},
		{Method: "GET", Path: "/api/v1/households/:id", Permission: r, Object: true, Tag: tag, Summary: "A household and its members", Response: resident.Household{}, Handler: s.getHousehold},
		{Method: "PUT", Path: "/api/v1/persons/:id/tags/:tag", Permission: m, Object: true, Tag: tag, Summary: "Set a care tag with its reason", Request: resident.CareTagInput{}, Response: resident.CareTag{}, Handler: s.setTag},
		{Method: "DELETE", Path: "/api/v1/persons/:id/tags/:tag", Permission: m, Object: true, Tag: tag, Summary: "Remove a care tag", Status: http.StatusNoContent, Handler: s.removeTag},
		{Method: "GET", Path: "/api/v1/care-tags", Permission: r, Tag: tag, Summary: "Care list: tagged persons with reason, who set it and their rooms", Query: careQuery{}, Response: Page[resident.CareTag]{}, Handler: s.careList},
		{Method: "POST", Path: "/api/v1/persons/:id/vehicles", Permission: m, Object: true, Tag: tag, Summary: "Register a vehicle", Request: resident.VehicleInput{}, Response: resident.Vehicle{}, Status: http.StatusCreated, Handler: s.addVehicle},
		{Method: "GET", Path: "/api/v1/vehicles", Permission: r, Tag: tag, Summary: "List registered vehicles; plate=… looks one plate up exactly", Query: vehicleQuery{}, Response: Page[resident.Vehicle]{}, Handler: s.listVehicles},
		{Method: "DELETE", Path: "/api/v1/vehicles/:id", Permission: m, Object: true, Tag: tag, Summary: "Remove a vehicle", Status: http.StatusNoContent, Handler: s.deleteVehicle},
		{Method: "POST", Path: "/api/v1/persons/:id/pets", Permission: m, Object: true, Tag: tag, Summary: "Register a pet", Request: resident.PetInput{}, Response: resident.Pet{}, Status: http.StatusCreated, Handler: s.addPet},
		{Method: "DELETE", Path: "/api/v1/pets/:id", Permission: m, Object: true, Tag: tag, Summary: "Remove a pet", Status: http.StatusNoContent, Handler: s.deletePet},
		{Method: "PUT", Path: "/api/v1/persons/:id/account", Permission: m, Object: true, Tag: tag, Summary: "Link a resident user account to the person", Request: LinkAccountInput{}, Status: http.StatusNoContent, Handler: s.linkAccount},
		{Method: "DELETE", Path: "/api/v1/persons/:id/account", Permission: m, Object: true, Tag: tag, Summary: "Unlink the person's user account", Status: http.StatusNoContent, Handler: s.unlinkAccount},
		{Method: "GET", Path: "/api/v1/me/rooms", Permission: resident.PermSelf, Tag: tag, Summary: "The rooms the signed-in resident lives in, with the people there", Response: []resident.MyRoom{}, Handler: s.myRooms},
		{Method: "GET", Path: "/api/v1/me/rooms/:id", Permission: resident.PermSelf, Object: true, Tag: tag, Summary: "One of the signed-in resident's rooms", Response: resident.MyRoom{}, Handler: s.myRoom},
	}
}

// inTenant runs fn in the caller's tenant (access has verified the actor).
func (s *Server) inTenant(c *gin.Context, fn func(tx *gorm.DB, a actor.Actor) error) error {
	a, _ := actor.From(c.Request.Context())
	return s.DB.InTenant(c.Request.Context(), a.TenantID, func(tx *gorm.DB) error { return fn(tx, a) })
}

func (s *Server) listPersons(c *gin.Context) error {
	p, _, err := pageQuery(c)
	if err != nil {
		return err
	}
	f := resident.Filter{Name: c.Query("name"), Phone: c.Query("phone"), IDNumber: c.Query("id_number"), Tag: c.Query("tag")}
	if v := c.Query("room_id"); v != "" {
		if f.RoomID, err = uuid.Parse(v); err != nil {
			return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "room_id", Code: "invalid_id", EN: "room_id is a room's id", ZH: "room_id 须为房屋编号"}})
		}
	}
	var res resident.Result
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) error {
		res, err = s.Residents.Search(tx, a.TenantID, f, p.Page, p.PageSize)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusOK, PersonPage{Page: Page[resident.PersonSummary]{Items: res.Items, Total: res.Total, Page: p.Page, PageSize: p.PageSize}, TotalCapped: res.Capped})
	return nil
}

func (s *Server) createPerson(c *gin.Context) error {
	var in resident.PersonInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	var out resident.Person
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		out, err = s.Residents.CreatePerson(tx, a.TenantID, in)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) getPerson(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var out resident.Person
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		out, err = s.Residents.GetPerson(tx, a.TenantID, id)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) patchPerson(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.PersonPatch
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	var before, out resident.Person
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		if before, err = s.Residents.GetPerson(tx, a.TenantID, id); err != nil {
			return err
		}
		out, err = s.Residents.UpdatePerson(tx, a.TenantID, id, in)
		return err
	}); err != nil {
		return err
	}
	// A person's name is personal data too: masked like phones and ID numbers.
	audit.From(c.Request.Context()).Diff(before, out, "name", "emergency_contacts.name")
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) deletePerson(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var before resident.Person
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		if before, err = s.Residents.GetPerson(tx, a.TenantID, id); err != nil {
			return err
		}
		return resident.DeletePerson(tx, a.TenantID, id)
	}); err != nil {
		return err
	}
	audit.From(c.Request.Context()).Diff(before, nil, "name", "emergency_contacts.name")
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) revealPII(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	a, _ := actor.From(c.Request.Context())
	out, err := s.Residents.RevealPII(c.Request.Context(), s.DB, a.TenantID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) moveIn(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.OccupancyInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	var out resident.Occupancy
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		out, err = s.Residents.MoveIn(tx, a.TenantID, id, in)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) moveOut(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.MoveOutInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	var out resident.Occupancy
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		out, err = s.Residents.MoveOut(tx, a.TenantID, id, in)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) getHousehold(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var out resident.Household
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		out, err = resident.GetHousehold(tx, a.TenantID, id)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) setTag(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.CareTagInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	var out resident.CareTag
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		out, err = s.Residents.SetTag(c.Request.Context(), tx, a.TenantID, id, c.Param("tag"), in)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) removeTag(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) error { return resident.RemoveTag(tx, a.TenantID, id, c.Param("tag")) }); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) careList(c *gin.Context) error {
	p, _, err := pageQuery(c)
	if err != nil {
		return err
	}
	var items []resident.CareTag
	var total int64
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		items, total, err = resident.CareList(tx, a.TenantID, c.Query("tag"), p.Page, p.PageSize)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusOK, Page[resident.CareTag]{Items: items, Total: total, Page: p.Page, PageSize: p.PageSize})
	return nil
}

func (s *Server) addVehicle(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.VehicleInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	var out resident.Vehicle
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		out, err = resident.AddVehicle(tx, a.TenantID, id, in)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) listVehicles(c *gin.Context) error {
	p, _, err := pageQuery(c)
	if err != nil {
		return err
	}
	f := resident.VehicleFilter{Plate: c.Query("plate")}
	if v := c.Query("person_id"); v != "" {
		if f.PersonID, err = uuid.Parse(v); err != nil {
			return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "person_id", Code: "invalid_id", EN: "person_id is not an id", ZH: "person_id 不是有效编号"}})
		}
	}
	var out Page[resident.Vehicle]
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		out.Items, out.Total, err = resident.ListVehicles(tx, a.TenantID, f, p.Page, p.PageSize)
		return err
	}); err != nil {
		return err
	}
	out.Page, out.PageSize = p.Page, p.PageSize
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) deleteVehicle(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) error { return resident.DeleteVehicle(tx, a.TenantID, id) }); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) addPet(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in resident.PetInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	var out resident.Pet
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		out, err = resident.AddPet(tx, a.TenantID, id, in)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) deletePet(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) error { return resident.DeletePet(tx, a.TenantID, id) }); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) linkAccount(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in LinkAccountInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	if in.UserID == uuid.Nil {
		return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "user_id", Code: "required", EN: "user_id is required", ZH: "须指定账号"}})
	}
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) error { return s.Residents.LinkAccount(tx, a.TenantID, id, in.UserID) }); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) unlinkAccount(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) error { return s.Residents.LinkAccount(tx, a.TenantID, id, uuid.Nil) }); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) myRooms(c *gin.Context) error {
	var out []resident.MyRoom
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		out, err = s.Residents.MyRooms(tx, a.TenantID, a.ID)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) myRoom(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var out resident.MyRoom
	if err := s.inTenant(c, func(tx *gorm.DB, a actor.Actor) (err error) {
		out, err = s.Residents.MyRoomByID(tx, a.TenantID, a.ID, id)
		return err
	}); err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}
