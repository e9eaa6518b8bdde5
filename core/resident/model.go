package resident

import (
	"time"

	"github.com/google/uuid"
)

// Stored rows. Personal numbers exist here only as ciphertext and blind index.

type personRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	Name      string
	Gender    string
	BirthDate *time.Time
	IDType    string
	IDCipher  string
	IDIndex   string
	Notes     string
	UserID    *uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (personRow) TableName() string { return "persons" }

// nameGramRow is one two-character sequence of a person's name (search index).
type nameGramRow struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	Gram     string    `gorm:"primaryKey"`
	PersonID uuid.UUID `gorm:"primaryKey"`
}

func (nameGramRow) TableName() string { return "person_name_grams" }

type phoneRow struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	PersonID    uuid.UUID
	Label       string
	Position    int
	PhoneCipher string
	PhoneIndex  string
	Last4Index  string
}

func (phoneRow) TableName() string { return "person_phones" }

type contactRow struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	PersonID    uuid.UUID
	Name        string
	Relation    string
	Position    int
	PhoneCipher string
}

func (contactRow) TableName() string { return "emergency_contacts" }

type householdRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	RoomID    uuid.UUID
	CreatedAt time.Time
	ClosedAt  *time.Time
}

func (householdRow) TableName() string { return "households" }

type occupancyRow struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	PersonID    uuid.UUID
	RoomID      uuid.UUID
	HouseholdID uuid.UUID
	Role        string
	Relation    string
	MoveIn      time.Time
	MoveOut     *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (occupancyRow) TableName() string { return "occupancies" }

type tagRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	PersonID  uuid.UUID
	Tag       string
	Reason    string
	SetByKind string
	SetByID   *uuid.UUID
	SetByName string
	SetAt     time.Time
}

func (tagRow) TableName() string { return "care_tags" }

type vehicleRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	PersonID  uuid.UUID
	Plate     string
	Brand     string
	Color     string
	CreatedAt time.Time
}

func (vehicleRow) TableName() string { return "vehicles" }

type petRow struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	PersonID     uuid.UUID
	Name         string
	Species      string
	Breed        string
	VaccinatedOn *time.Time
	CreatedAt    time.Time
}

func (petRow) TableName() string { return "pets" }

// API shapes. Phone and ID numbers in these are masked unless a type says otherwise.

// PhoneInput is one phone number with a label (mobile, home, work …).
type PhoneInput struct {
	Label  string `json:"label"`
	Number string `json:"number"`
}

// ContactInput is an emergency contact.
type ContactInput struct {
	Name     string `json:"name"`
	Relation string `json:"relation"`
	Phone    string `json:"phone"`
}

// PersonInput creates a person.
type PersonInput struct {
	Name              string         `json:"name"`
	Gender            string         `json:"gender"`     // male, female or empty
	BirthDate         string         `json:"birth_date"` // 2006-01-02 or empty
	IDType            string         `json:"id_type"`    // resident_id, passport, hk_macau_permit, taiwan_permit, other
	IDNumber          string         `json:"id_number"`
	Phones            []PhoneInput   `json:"phones"`
	EmergencyContacts []ContactInput `json:"emergency_contacts"`
	Notes             string         `json:"notes"`
}

// PersonPatch changes the fields it names; lists it names are replaced whole.
// id_type and id_number change together ("" for both removes the document).
type PersonPatch struct {
	Name              *string         `json:"name"`
	Gender            *string         `json:"gender"`
	BirthDate         *string         `json:"birth_date"`
	IDType            *string         `json:"id_type"`
	IDNumber          *string         `json:"id_number"`
	Phones            *[]PhoneInput   `json:"phones"`
	EmergencyContacts *[]ContactInput `json:"emergency_contacts"`
	Notes             *string         `json:"notes"`
}

// Phone is a phone number as shown (masked in normal reads).
type Phone struct {
	Label  string `json:"label"`
	Number string `json:"number"`
}

// Contact is an emergency contact as shown (phone masked in normal reads).
type Contact struct {
	Name     string `json:"name"`
	Relation string `json:"relation"`
	Phone    string `json:"phone"`
}

// Person is the full record of one person, personal numbers masked.
type Person struct {
	ID                uuid.UUID   `json:"id"`
	Name              string      `json:"name"`
	Gender            string      `json:"gender"`
	BirthDate         string      `json:"birth_date,omitempty"`
	IDType            string      `json:"id_type,omitempty"`
	IDNumber          string      `json:"id_number,omitempty"`
	Phones            []Phone     `json:"phones"`
	EmergencyContacts []Contact   `json:"emergency_contacts"`
	Notes             string      `json:"notes"`
	UserID            *uuid.UUID  `json:"user_id,omitempty"`
	Tags              []CareTag   `json:"tags"`
	Occupancies       []Occupancy `json:"occupancies"`
	Vehicles          []Vehicle   `json:"vehicles"`
	Pets              []Pet       `json:"pets"`
	CreatedAt         time.Time   `json:"created_at"`
	UpdatedAt         time.Time   `json:"updated_at"`
}

// PersonSummary is one row of a person list, personal numbers masked.
type PersonSummary struct {
	ID       uuid.UUID   `json:"id"`
	Name     string      `json:"name"`
	Gender   string      `json:"gender"`
	Phone    string      `json:"phone"` // the first phone, masked
	IDType   string      `json:"id_type,omitempty"`
	IDNumber string      `json:"id_number,omitempty"` // masked
	Tags     []string    `json:"tags"`
	RoomIDs  []uuid.UUID `json:"room_ids"` // rooms the person lives in now
}

// PII is the full personal data of one person (resident.pii.read only).
type PII struct {
	PersonID          uuid.UUID `json:"person_id"`
	IDType            string    `json:"id_type,omitempty"`
	IDNumber          string    `json:"id_number,omitempty"`
	Phones            []Phone   `json:"phones"`
	EmergencyContacts []Contact `json:"emergency_contacts"`
}

// Occupancy roles.
const (
	RoleOwner  = "owner"
	RoleTenant = "tenant"
	RoleFamily = "family"
)

// OccupancyInput moves a person into a room.
type OccupancyInput struct {
	RoomID   uuid.UUID `json:"room_id"`
	Role     string    `json:"role"`     // owner, tenant, family
	Relation string    `json:"relation"` // relationship to the owner: 本人, 配偶, 子女, 租客 …
	MoveIn   string    `json:"move_in"`  // 2006-01-02
}

// MoveOutInput ends an occupancy.
type MoveOutInput struct {
	MoveOut string `json:"move_out"` // 2006-01-02
}

// Occupancy is one person's stay in one room.
type Occupancy struct {
	ID          uuid.UUID `json:"id"`
	PersonID    uuid.UUID `json:"person_id"`
	RoomID      uuid.UUID `json:"room_id"`
	HouseholdID uuid.UUID `json:"household_id"`
	Role        string    `json:"role"`
	Relation    string    `json:"relation"`
	MoveIn      string    `json:"move_in"`
	MoveOut     string    `json:"move_out,omitempty"`
}

// CareTagInput sets a care tag.
type CareTagInput struct {
	Reason string `json:"reason"`
}

// CareTag is a special-care tag on a person, with who set it and why.
type CareTag struct {
	PersonID uuid.UUID   `json:"person_id"`
	Tag      string      `json:"tag"`
	Reason   string      `json:"reason"`
	SetBy    string      `json:"set_by"` // the actor's name
	SetByID  string      `json:"set_by_id,omitempty"`
	SetAt    time.Time   `json:"set_at"`
	Name     string      `json:"person_name,omitempty"` // in care lists
	RoomIDs  []uuid.UUID `json:"room_ids,omitempty"`    // in care lists
}

// VehicleInput registers a vehicle.
type VehicleInput struct {
	Plate string `json:"plate"`
	Brand string `json:"brand"`
	Color string `json:"color"`
}

// Vehicle is a registered vehicle; Plate is shown with its dot (粤B·D12345).
type Vehicle struct {
	ID       uuid.UUID `json:"id"`
	PersonID uuid.UUID `json:"person_id"`
	Plate    string    `json:"plate"`
	Brand    string    `json:"brand"`
	Color    string    `json:"color"`
}

// PetInput registers a pet.
type PetInput struct {
	Name         string `json:"name"`
	Species      string `json:"species"` // dog, cat, …
	Breed        string `json:"breed"`
	VaccinatedOn string `json:"vaccinated_on"` // 2006-01-02 or empty
}

// Pet is a registered pet.
type Pet struct {
	ID           uuid.UUID `json:"id"`
	PersonID     uuid.UUID `json:"person_id"`
	Name         string    `json:"name"`
	Species      string    `json:"species"`
	Breed        string    `json:"breed"`
	VaccinatedOn string    `json:"vaccinated_on,omitempty"`
}

func dateString(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}
