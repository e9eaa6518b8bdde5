package payment

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// maxBills bounds the bills of one order.
const maxBills = 100

// OrderInput asks for an online payment of bills.
type OrderInput struct {
	BillIDs  []uuid.UUID `json:"bill_ids"`
	Provider string      `json:"provider"` // alipay, wechat or sandbox; empty: the tenant's newest enabled account
	Channel  string      `json:"channel"`  // qr (default) or h5
}

// Payer is who asks: a resident paying their own bills, or staff.
type Payer struct {
	UserID   uuid.UUID
	Name     string
	Resident bool // only bills of rooms the user lives in
	ClientIP string
}

// OrderFilter narrows a list of orders.
type OrderFilter struct {
	Status   string `form:"status" json:"status"`
	Provider string `form:"provider" json:"provider"`
}

// newOrderNo is unique per tenant and safe for every provider (letters and
// digits, at most 32 characters as WeChat allows).
func (s *Service) newOrderNo() string {
	return "WY" + s.now().In(chinaTime).Format("20060102150405") + strings.ToUpper(randomHex(6))
}

func (in *OrderInput) check() error {
	if len(in.BillIDs) == 0 || len(in.BillIDs) > maxBills {
		return ErrNoBills
	}
	ids := slices.Clone(in.BillIDs)
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	in.BillIDs = slices.Compact(ids)
	if in.Channel == "" {
		in.Channel = ChannelQR
	}
	if in.Channel != ChannelQR && in.Channel != ChannelH5 {
		return ErrBadChannel
	}
	if in.Provider != "" {
		if _, ok := knownProviders[in.Provider]; !ok {
			return ErrUnknownProvider
		}
	}
	return nil
}

// knownProviders lists the provider names orders may ask for.
var knownProviders = map[string]bool{ProviderAlipay: true, ProviderWeChat: true, ProviderSandbox: true}

// CreateOrder opens an online payment of the bills at the tenant's merchant
// account and returns the order with the URL to pay. The amount is what the
// ledger says is due now; the order, the provider's order and the pay URL
// stand together or not at all.
func (s *Service) CreateOrder(ctx context.Context, tenantID uuid.UUID, in OrderInput, p Payer) (out Order, err error) {
	if err := in.check(); err != nil {
		return Order{}, err
	}
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		m, err := s.merchantFor(tx, tenantID, in.Provider)
		if err != nil {
			return err
		}
		q := DueQuery{BillIDs: in.BillIDs}
		if p.Resident {
			q.ResidentUser = p.UserID
		}
		due, err := s.deps.Ledger.Due(store.Ctx(tx), tenantID, q)
		if err != nil {
			return err
		}
		if due.Amount <= 0 {
			return ErrNothingDue
		}
		c, err := s.credentials(m)
		if err != nil {
			return err
		}
		bills, _ := json.Marshal(in.BillIDs)
		o := Order{TenantID: tenantID, ID: store.NewID(), OrderNo: s.newOrderNo(), MerchantID: m.ID, Provider: m.Provider,
			Channel: in.Channel, BillIDsJSON: string(bills), Amount: due.Amount, Currency: string(due.Currency),
			Status: StatusCreated, CreatedBy: p.Name, ExpiresAt: s.expiry()}
		if p.UserID != uuid.Nil {
			o.PayerUserID = &p.UserID
		}
		if err := tx.Create(&o).Error; err != nil {
			return err
		}
		subject := fmt.Sprintf("物业费 %d 张账单", len(in.BillIDs))
		o.PayURL, err = s.providers[m.Provider].CreateOrder(ctx, c, OrderRequest{OrderNo: o.OrderNo, Amount: due,
			Subject: subject, Channel: in.Channel, ClientIP: p.ClientIP, ExpiresAt: o.ExpiresAt})
		if err != nil {
			return err
		}
		if err := tx.Model(&o).Update("pay_url", o.PayURL).Error; err != nil {
			return err
		}
		o.fill()
		out = o
		return nil
	})
	return out, err
}

// GetOrder returns one order.
func (s *Service) GetOrder(ctx context.Context, tenantID, id uuid.UUID) (out Order, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&out).Error; err != nil {
			return store.NotFound(err)
		}
		out.fill()
		return nil
	})
	return out, err
}

// MyOrder returns an order the user paid or is paying; anyone else's is not found.
func (s *Service) MyOrder(ctx context.Context, tenantID, userID, id uuid.UUID) (Order, error) {
	o, err := s.GetOrder(ctx, tenantID, id)
	if err != nil {
		return Order{}, err
	}
	if o.PayerUserID == nil || *o.PayerUserID != userID {
		return Order{}, store.NotFound(gorm.ErrRecordNotFound)
	}
	return o, nil
}

// ListOrders lists orders, newest first unless p orders otherwise.
func (s *Service) ListOrders(ctx context.Context, tenantID uuid.UUID, f OrderFilter, p paging.Paging) (out []Order, total int64, err error) {
	out = []Order{}
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&Order{}).Where("tenant_id = ?", tenantID)
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if f.Provider != "" {
			q = q.Where("provider = ?", f.Provider)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "created_at DESC"
		}
		if err := p.Apply(q).Find(&out).Error; err != nil {
			return err
		}
		for i := range out {
			out[i].fill()
		}
		return nil
	})
	return out, total, err
}

// Refunds lists an order's refunds, oldest first.
func (s *Service) Refunds(ctx context.Context, tenantID, orderID uuid.UUID) (out []Refund, err error) {
	out = []Refund{}
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ? AND order_id = ?", tenantID, orderID).Order("created_at, id").Find(&out).Error
	})
	return out, err
}
