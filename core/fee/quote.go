// Package fee holds a property company's fee rules (收费项目): what each room
// owes for a period and why. It prices; it does not bill. Billing asks it for
// quotes (Quote, QuoteCommunity) and turns them into bills and ledger entries.
package fee

import (
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
)

// Kinds of fee item.
const (
	KindArea    = "area"    // area × rate per m² per month × the room's coefficient
	KindFixed   = "fixed"   // a fixed amount per room or per household per month
	KindMetered = "metered" // consumption × (tiered) rate
	KindShared  = "shared"  // a common meter apportioned across rooms (公摊)
	KindOneOff  = "one_off" // posted by a call (deposit, renovation, paid repair, parking)
)

// Line is one priced line of a room's quote for a period: one fee item over
// the days it applies. Amount is already rounded by the item's rule.
type Line struct {
	ItemID   uuid.UUID      `json:"item_id"`
	Version  int            `json:"version"` // the rule version that priced it
	Code     string         `json:"code"`    // the item's stable code, e.g. "property_fee"
	Name     string         `json:"name"`
	Kind     string         `json:"kind"`
	From     civil.Date     `json:"from"`     // first day charged
	To       civil.Date     `json:"to"`       // last day charged (inclusive)
	Quantity string         `json:"quantity"` // exact decimal text: m², m³, kWh, months
	Unit     string         `json:"unit"`
	Rate     string         `json:"rate"` // exact decimal text, per unit
	Amount   int64          `json:"amount"`
	Currency money.Currency `json:"currency"`
	Detail   string         `json:"detail"`   // how it was computed, for a person: "89.56 m² × 2.50 × 1.0000 × 20/30 days"
	DueDays  int            `json:"due_days"` // days after the period's billing date the line falls due
	Late     *LatePolicy    `json:"late_fee,omitempty"`
}

// LatePolicy is an item's late fee (滞纳金): after GraceDays past the due
// date, RatePerDay (exact decimal, e.g. "0.0005" = 0.05 %/day) of the
// outstanding amount each day, capped at CapPercent (e.g. "100") of it;
// rounded half-up to the fen per day's accrual total.
type LatePolicy struct {
	GraceDays  int    `json:"grace_days" yaml:"grace_days"`
	RatePerDay string `json:"rate_per_day" yaml:"rate_per_day"`
	CapPercent string `json:"cap_percent" yaml:"cap_percent"`
}

// Exception is a reason a room could not be (fully) priced, reported by a
// dry run: "no_area", "no_owner", "overlapping_rules", "no_reading". A real
// run skips a room with any but no_owner (billing.blocked).
type Exception struct {
	Code      string    `json:"code"`
	ItemID    uuid.UUID `json:"item_id,omitempty"`
	Message   string    `json:"message"`
	MessageZH string    `json:"message_zh"`
}

// RoomQuote is what one room owes for one period.
type RoomQuote struct {
	RoomID      uuid.UUID    `json:"room_id"`
	CommunityID uuid.UUID    `json:"community_id"`
	BuildingID  uuid.UUID    `json:"building_id"`
	Period      civil.Period `json:"period"`
	Lines       []Line       `json:"lines"`
	Exceptions  []Exception  `json:"exceptions"`
}
