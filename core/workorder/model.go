package workorder

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// Types of work order.
const (
	TypeRepair      = "repair"
	TypeComplaint   = "complaint"
	TypeSuggestion  = "suggestion"
	TypeInspection  = "inspection"
	TypeMaintenance = "maintenance"
)

// Types lists every type.
var Types = []string{TypeRepair, TypeComplaint, TypeSuggestion, TypeInspection, TypeMaintenance}

// Categories is the fixed list; a tenant adds its own in its settings.
var Categories = []string{"plumbing", "electrical", "lift", "cleaning", "security", "noise", "gas", "doors_windows",
	"greenery", "parking", "equipment", "public_facilities", "service", "other"}

// Priorities, lowest first.
var Priorities = []string{"low", "normal", "high", "urgent"}

// Channels an order comes in by.
var Channels = []string{"app", "phone", "walk_in", "staff", "plan", "plugin"}

// Statuses of the life cycle.
const (
	StatusSubmitted  = "submitted"
	StatusAssigned   = "assigned"
	StatusAccepted   = "accepted"
	StatusInProgress = "in_progress"
	StatusResolved   = "resolved"
	StatusConfirmed  = "confirmed"
	StatusClosed     = "closed"
	StatusCancelled  = "cancelled"
)

// OpenStatuses are those a technician still works on (SLA clocks run).
var OpenStatuses = []string{StatusSubmitted, StatusAssigned, StatusAccepted, StatusInProgress}

// Order is one work order.
type Order struct {
	TenantID        uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID              uuid.UUID  `gorm:"primaryKey" json:"id"`
	Type            string     `json:"type"`
	Category        string     `json:"category"`
	Status          string     `json:"status"`
	Priority        string     `json:"priority"`
	Channel         string     `json:"channel"`
	CommunityID     uuid.UUID  `json:"community_id"`
	BuildingID      *uuid.UUID `json:"building_id"`
	LocationID      *uuid.UUID `json:"location_id"`
	LocationKind    string     `json:"location_kind"`
	RoomID          *uuid.UUID `json:"room_id"`
	LocationName    string     `json:"location_name"`
	Description     string     `json:"description"`
	Contact         string     `json:"contact"`
	PreferredTime   *time.Time `json:"preferred_time"`
	ReporterID      *uuid.UUID `json:"reporter_id"`
	ReporterName    string     `json:"reporter_name"`
	AssigneeID      *uuid.UUID `json:"assignee_id"`
	AssigneeName    string     `json:"assignee_name"`
	ExpectedArrival *time.Time `json:"expected_arrival"`
	DedupeKey       *string    `json:"-"`
	Skill           string     `json:"skill"`
	ResponseDue     time.Time  `json:"response_due"`
	ResolveDue      time.Time  `json:"resolve_due"`
	SLABreached     bool       `gorm:"column:sla_breached" json:"sla_breached"`
	AssignedAt      *time.Time `json:"assigned_at"`
	AcceptedAt      *time.Time `json:"accepted_at"`
	ResolvedAt      *time.Time `json:"resolved_at"`
	ConfirmedAt     *time.Time `json:"confirmed_at"`
	ClosedAt        *time.Time `json:"closed_at"`
	Result          string     `json:"result"`
	CancelReason    string     `json:"cancel_reason"`
	Rating          *int       `json:"rating"`
	RatingComment   string     `json:"rating_comment"`
	RatedAt         *time.Time `json:"rated_at"`
	FollowUp        string     `json:"follow_up"`
	FollowedUpAt    *time.Time `json:"followed_up_at"`
	FollowedUpBy    string     `json:"followed_up_by"`
	ChaseCount      int        `json:"chase_count"`
	ChasedAt        *time.Time `json:"chased_at"`
	ChargeMinor     int64      `json:"charge"`
	Currency        string     `json:"currency"`
	ChargedBillID   *uuid.UUID `json:"charged_bill_id"`
	ChargedAt       *time.Time `json:"charged_at"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

func (Order) TableName() string { return "work_orders" }

func (o Order) open() bool { return slices.Contains(OpenStatuses, o.Status) }

// Event is one entry of an order's timeline: a transition (from → to) or an
// action that leaves the status as it is (chased, rated, follow_up, charged,
// sla_breached, file_added).
type Event struct {
	TenantID   uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID         uuid.UUID  `gorm:"primaryKey" json:"id"`
	OrderID    uuid.UUID  `json:"order_id"`
	Kind       string     `json:"kind"`
	FromStatus string     `json:"from_status"`
	ToStatus   string     `json:"to_status"`
	ActorID    *uuid.UUID `json:"actor_id"`
	ActorName  string     `json:"actor_name"`
	Note       string     `json:"note"`
	At         time.Time  `json:"at"`
}

func (Event) TableName() string { return "work_order_events" }

// Line is labour or material of a paid repair.
type Line struct {
	TenantID    uuid.UUID `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID `gorm:"primaryKey" json:"id"`
	OrderID     uuid.UUID `json:"-"`
	Kind        string    `json:"kind"` // labour, material
	Name        string    `json:"name"`
	Quantity    int       `json:"quantity"`
	UnitMinor   int64     `json:"unit_price"`
	AmountMinor int64     `json:"amount"`
	Currency    string    `json:"currency"`
	CreatedAt   time.Time `json:"-"`
}

func (Line) TableName() string { return "work_order_lines" }
