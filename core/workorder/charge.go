package workorder

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/store"
)

// LineInput is one labour or material line; UnitPrice is decimal yuan ("35.00").
type LineInput struct {
	Kind      string `json:"kind"` // labour, material
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice string `json:"unit_price"`
}

// SetLines replaces the paid-repair lines of an order (refused once charged).
func (s *Service) SetLines(ctx context.Context, tenantID, id uuid.UUID, in []LineInput) (v View, err error) {
	var fe []apperr.FieldError
	lines := make([]Line, 0, len(in))
	var total int64
	if len(in) > 100 {
		fe = append(fe, field("items", "too_many", "at most 100 lines", "最多 100 行"))
	}
	for _, l := range in {
		l.Name = strings.TrimSpace(l.Name)
		p, perr := money.Parse(l.UnitPrice, money.CNY)
		if (l.Kind != "labour" && l.Kind != "material") || l.Name == "" || len(l.Name) > 200 || l.Quantity < 1 || l.Quantity > 100000 || perr != nil || p.Amount < 0 || p.Amount > 1e10 {
			fe = append(fe, field("items", "invalid_line", "each line needs kind labour or material, a name, quantity 1–100000 and a unit_price like \"35.00\"",
				"每行须有类型(labour 人工 / material 材料)、名称、数量 1–100000 和单价(如 \"35.00\")"))
			break
		}
		amt := p.Amount * int64(l.Quantity)
		total += amt
		lines = append(lines, Line{TenantID: tenantID, ID: store.NewID(), OrderID: id, Kind: l.Kind, Name: l.Name, Quantity: l.Quantity,
			UnitMinor: p.Amount, AmountMinor: amt, Currency: "CNY", CreatedAt: s.now().UTC()})
	}
	if err := invalid(fe); err != nil {
		return v, err
	}
	by := who(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		o, err := load(tx, tenantID, id)
		if err != nil {
			return err
		}
		if o.ChargedBillID != nil {
			return ErrAlreadyCharged
		}
		if o.Status == StatusCancelled {
			return illegal(o.Status, "charge", o.Status)
		}
		if err := tx.Where("tenant_id = ? AND order_id = ?", tenantID, id).Delete(&Line{}).Error; err != nil {
			return err
		}
		if len(lines) > 0 {
			if err := tx.Create(&lines).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&Order{}).Where("tenant_id = ? AND id = ?", tenantID, id).Updates(map[string]any{"charge_minor": total, "updated_at": s.now().UTC()}).Error; err != nil {
			return err
		}
		o.ChargeMinor = total
		if _, err := s.event(tx, &o, "lines_set", "", "", money.Money{Amount: total, Currency: money.CNY}.String(), by); err != nil {
			return err
		}
		v, err = viewIn(tx, o)
		return err
	})
	return v, err
}

// PostCharge bills the order's lines to its room now (staff do it when
// the resident pays on the spot; otherwise confirmation does it). A second
// call returns the order as it is.
func (s *Service) PostCharge(ctx context.Context, tenantID, id uuid.UUID) (o Order, err error) {
	by := who(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if o, err = load(tx, tenantID, id); err != nil {
			return err
		}
		if o.ChargedBillID != nil {
			return nil
		}
		if o.ChargeMinor <= 0 || o.RoomID == nil {
			return ErrNoCharge
		}
		if o.Status == StatusCancelled {
			return illegal(o.Status, "charge", o.Status)
		}
		return s.charge(tx, &o, by)
	})
	return o, err
}

// charge posts o's total to its room through the Charger, once per order
// (the idempotency key is the order's id), in tx.
func (s *Service) charge(tx *gorm.DB, o *Order, by actor.Actor) error {
	bill, err := s.d.Charger.PostCharge(store.Ctx(tx), o.TenantID, Charge{RoomID: *o.RoomID, ItemName: "维修费 Repair",
		Amount: o.ChargeMinor, Reason: "工单 " + o.ID.String() + " " + o.Category, IdempotencyKey: "workorder:" + o.ID.String()})
	if err != nil {
		return err
	}
	now := s.now().UTC()
	if err := tx.Model(&Order{}).Where("tenant_id = ? AND id = ?", o.TenantID, o.ID).
		Updates(map[string]any{"charged_bill_id": bill, "charged_at": now, "updated_at": now}).Error; err != nil {
		return err
	}
	o.ChargedBillID, o.ChargedAt = &bill, &now
	_, err = s.event(tx, o, "charged", "", "", money.Money{Amount: o.ChargeMinor, Currency: money.CNY}.String()+" bill "+bill.String(), by)
	return err
}
