package main

// Collections the plugin keeps in the host's records store.
const (
	colLots      = "lots"
	colZones     = "zones"
	colSpaces    = "spaces"
	colGates     = "gates"
	colPasses    = "passes"
	colLists     = "plate_lists" // white and black list entries
	colVisitors  = "visitors"
	colSessions  = "sessions"
	colInside    = "inside" // one record per plate parked in a lot: the open session
	colPassages  = "passages"
	colAlerts    = "alerts"
	colProcessed = "processed_events"
)

// Lot is a car park of a community.
type Lot struct {
	ID          string `json:"id"`
	CommunityID string `json:"community_id"`
	Name        string `json:"name"`
	Capacity    int    `json:"capacity"` // spaces for temporary parking and everyone else
	Key         string `json:"key,omitempty"`
}

// Zone is part of a lot with its own count (a floor, an area) and the
// guidance displays that show its free spaces.
type Zone struct {
	ID         string   `json:"id"`
	LotID      string   `json:"lot_id"`
	Name       string   `json:"name"`
	Capacity   int      `json:"capacity"`
	DisplayIDs []string `json:"display_ids,omitempty"`
	Occupied   int      `json:"occupied"` // cars inside now
	Version    int64    `json:"-"`
}

// Space kinds.
const (
	SpaceOwned  = "owned"
	SpaceRented = "rented"
	SpacePublic = "public"
)

// Space is one marked space.
type Space struct {
	ID         string `json:"id"`
	ZoneID     string `json:"zone_id"`
	Number     string `json:"number"`
	Kind       string `json:"kind"`
	ResidentID string `json:"resident_id,omitempty"`
	RoomID     string `json:"room_id,omitempty"`
	CameraID   string `json:"camera_id,omitempty"` // a camera watching this space
}

// Gate is an entry or exit lane of a lot.
type Gate struct {
	ID        string `json:"id"`
	LotID     string `json:"lot_id"`
	ZoneID    string `json:"zone_id,omitempty"` // the zone cars enter (default: the lot's first)
	Name      string `json:"name"`
	Direction string `json:"direction"` // in, out
	CameraID  string `json:"camera_id"` // the LPR camera
	BarrierID string `json:"barrier_id,omitempty"`
	DisplayID string `json:"display_id,omitempty"`
}

// barrier is the device that opens this gate (often the camera's output).
func (g Gate) barrier() string {
	if g.BarrierID != "" {
		return g.BarrierID
	}
	return g.CameraID
}

// Pass is a monthly pass: a plate may park in a lot (or zone) for a period.
type Pass struct {
	ID         string `json:"id"`
	Plate      string `json:"plate"`
	ResidentID string `json:"resident_id,omitempty"`
	RoomID     string `json:"room_id,omitempty"`
	LotID      string `json:"lot_id"`
	ZoneID     string `json:"zone_id,omitempty"`
	ValidFrom  int64  `json:"valid_from_ms"`
	ValidTo    int64  `json:"valid_to_ms"`
	FeeFen     int64  `json:"fee_fen"`
	ChargeID   string `json:"charge_id,omitempty"`
}

// List kinds.
const (
	ListWhite = "white"
	ListBlack = "black"
)

// ListEntry is a white- or blacklisted plate.
type ListEntry struct {
	ID     string `json:"id"`
	List   string `json:"list"`
	Plate  string `json:"plate"`
	Reason string `json:"reason"`
	Until  int64  `json:"until_ms,omitempty"` // 0: no end
}

// Visitor is a plate a resident authorised for their room.
type Visitor struct {
	ID         string `json:"id"`
	Plate      string `json:"plate"`
	ResidentID string `json:"resident_id"`
	RoomID     string `json:"room_id"`
	ValidFrom  int64  `json:"valid_from_ms"`
	ValidTo    int64  `json:"valid_to_ms"`
	SingleUse  bool   `json:"single_use"`
	UsedAt     int64  `json:"used_at_ms,omitempty"`
	Version    int64  `json:"-"`
}

// Session kinds: why the car was let in.
const (
	KindResident  = "resident"
	KindPass      = "pass"
	KindWhitelist = "whitelist"
	KindVisitor   = "visitor"
	KindTemporary = "temporary"
)

// Session is one stay in a lot, from entry to exit.
type Session struct {
	ID           string `json:"id"`
	Plate        string `json:"plate"`
	LotID        string `json:"lot_id"`
	ZoneID       string `json:"zone_id"`
	Kind         string `json:"kind"`
	State        string `json:"state"` // open, closed
	ResidentID   string `json:"resident_id,omitempty"`
	RoomID       string `json:"room_id,omitempty"`
	EntryGate    string `json:"entry_gate"`
	EntryAt      int64  `json:"entry_at_ms"`
	EntryPicture string `json:"entry_picture,omitempty"`
	ExitGate     string `json:"exit_gate,omitempty"`
	ExitAt       int64  `json:"exit_at_ms,omitempty"`
	ExitPicture  string `json:"exit_picture,omitempty"`
	FeeFen       int64  `json:"fee_fen"`  // the fee when last priced
	PaidFen      int64  `json:"paid_fen"` // paid so far
	Currency     string `json:"currency"`
	PaymentID    string `json:"payment_id,omitempty"`
	PayURL       string `json:"pay_url,omitempty"`
	PaidAt       int64  `json:"paid_at_ms,omitempty"`
	GraceUntil   int64  `json:"grace_until_ms,omitempty"`
	AlertedLong  bool   `json:"alerted_long,omitempty"`
	Version      int64  `json:"-"`
}

// Decisions at a gate.
const (
	Open          = "open"
	Refuse        = "refuse"
	Duplicate     = "duplicate"       // the same car read again: nothing done
	GateNotOpened = "gate_not_opened" // decided to open, the gate did not acknowledge
)

// Passage is one decision at a gate.
type Passage struct {
	ID        string `json:"id"`
	EventID   string `json:"event_id"`
	Plate     string `json:"plate"`
	GateID    string `json:"gate_id"`
	LotID     string `json:"lot_id"`
	Direction string `json:"direction"`
	Decision  string `json:"decision"`
	Reason    string `json:"reason"` // a stable code: resident, pass, blacklisted, full, unpaid ...
	Kind      string `json:"kind,omitempty"`
	SessionID string `json:"session_id,omitempty"`
	FeeFen    int64  `json:"fee_fen,omitempty"`
	PayURL    string `json:"pay_url,omitempty"`
	Picture   string `json:"picture,omitempty"`
	At        int64  `json:"at_ms"`
	Manual    bool   `json:"manual,omitempty"`
	GatePlate string `json:"gate_plate"` // gate|plate, for the re-read check
}

// Alert is something a guard must look at.
type Alert struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"` // blacklisted, full, unreadable, gate_not_opened, collision, wrong_space, long_stay, device_offline
	Plate       string `json:"plate,omitempty"`
	GateID      string `json:"gate_id,omitempty"`
	DeviceID    string `json:"device_id,omitempty"`
	Detail      string `json:"detail"`
	At          int64  `json:"at_ms"`
	WorkOrderID string `json:"work_order_id,omitempty"`
}
