package billing

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
)

// SeedData is the "billing" section of a tenant manifest's seed data: months
// of bills priced by the Pricer for every community, paid except for the
// rooms in arrears, some prepaid money and a refund. It runs after the
// property, residents and fee sections.
type SeedData struct {
	Months         int  `yaml:"months"`
	AutoPayPrepaid bool `yaml:"auto_pay_prepaid"`
	Arrears        []struct {
		Room   string `yaml:"room"`   // building/unit/number
		Months int    `yaml:"months"` // the latest months left unpaid
	} `yaml:"arrears"`
	Prepaid []struct {
		Room   string `yaml:"room"`
		Amount string `yaml:"amount"` // yuan, "2000.00"
	} `yaml:"prepaid"`
	Refund struct {
		Room   string `yaml:"room"`
		Amount string `yaml:"amount"`
		Reason string `yaml:"reason"`
	} `yaml:"refund"`
}

// SeedRooms is what the seeder needs from the property domain.
type SeedRooms interface {
	CommunityNames(ctx context.Context, tenantID uuid.UUID) (map[uuid.UUID]string, error)
	ResolveRoom(ctx context.Context, tenantID uuid.UUID, building, unit, room string) (uuid.UUID, error)
}

var demoChannels = []string{"bank_transfer", "cash", "pos", "bank_transfer", "cheque"}

// DemoSeeder returns the manifest seeder of billing's demo data. It writes
// nothing when the tenant has bills already.
func (s *Service) DemoSeeder(rooms SeedRooms) func(ctx context.Context, tenantID uuid.UUID, raw any) (bool, error) {
	return func(ctx context.Context, tenantID uuid.UUID, raw any) (bool, error) {
		var d SeedData
		b, err := yaml.Marshal(raw)
		if err != nil {
			return false, err
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&d); err != nil {
			return false, fmt.Errorf("billing seed: %w", err)
		}
		if _, n, err := s.ListBills(ctx, tenantID, BillFilter{}, paging.Paging{Limit: 1}); err != nil || n > 0 {
			return false, err
		}
		return true, s.seed(ctx, tenantID, rooms, d)
	}
}

func (s *Service) seed(ctx context.Context, tenantID uuid.UUID, rooms SeedRooms, d SeedData) error {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "demo seed"})
	today := civil.TodayOf(ctx)
	if _, err := s.PutSettings(ctx, tenantID, Settings{AutoPayPrepaid: d.AutoPayPrepaid}); err != nil {
		return err
	}
	names, err := rooms.CommunityNames(ctx, tenantID)
	if err != nil {
		return err
	}
	first := civil.PeriodOf(today).Add(1 - max(d.Months, 1))
	for p := first; !civil.PeriodOf(today).Start().Before(p.Start()); p = p.Add(1) {
		for c := range names {
			if _, err := s.RunNow(WithDay(ctx, p.Start()), tenantID, RunIn{CommunityID: c, Period: p}); err != nil {
				return err
			}
		}
	}
	unpaid := map[uuid.UUID]int{}
	for _, a := range d.Arrears {
		id, err := resolve(ctx, rooms, tenantID, a.Room)
		if err != nil {
			return err
		}
		unpaid[id] = a.Months
	}
	if err := s.seedPayments(ctx, tenantID, today, unpaid); err != nil {
		return err
	}
	return s.seedPrepaidAndRefund(ctx, tenantID, rooms, today, d)
}

func resolve(ctx context.Context, rooms SeedRooms, tenantID uuid.UUID, path string) (uuid.UUID, error) {
	parts := strings.Split(path, "/")
	if len(parts) != 3 {
		return uuid.Nil, fmt.Errorf("billing seed: room %q is not building/unit/number", path)
	}
	return rooms.ResolveRoom(ctx, tenantID, parts[0], parts[1], parts[2])
}

// seedPayments pays every room's bills but the current month's in two
// payments (the older half-year and the recent months), each on the tenth
// of the month after; rooms in arrears leave their latest months unpaid.
func (s *Service) seedPayments(ctx context.Context, tenantID uuid.UUID, today civil.Date, unpaid map[uuid.UUID]int) error {
	bills, _, err := s.ListBills(ctx, tenantID, BillFilter{Status: StatusIssued}, paging.Paging{Limit: 1 << 30, Order: "room_id, period"})
	if err != nil {
		return err
	}
	byRoom := map[uuid.UUID][]BillView{}
	var order []uuid.UUID
	for _, b := range bills {
		if byRoom[b.RoomID] == nil {
			order = append(order, b.RoomID)
		}
		byRoom[b.RoomID] = append(byRoom[b.RoomID], b)
	}
	current := civil.PeriodOf(today).String()
	// One transaction for all the payments: each nested call would be a
	// savepoint, and thousands of them slow a Postgres transaction down.
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		for half := range 2 {
			for i, room := range order {
				bs := byRoom[room]
				skip, ok := unpaid[room]
				if !ok {
					skip = 1 // the current month is not paid yet
				}
				payable := bs[:max(len(bs)-skip, 0)]
				mid := len(payable) / 2
				part := payable[:mid]
				if half == 1 {
					part = payable[mid:]
				}
				if len(part) == 0 || (len(part) == 1 && part[0].Period == current) {
					continue
				}
				if err := s.seedPay(ctx, tx, tenantID, today, part, demoChannels[i%len(demoChannels)]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (s *Service) seedPay(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, today civil.Date, bills []BillView, channel string) error {
	ids := make([]uuid.UUID, 0, len(bills))
	var sum int64
	for _, b := range bills {
		if b.Outstanding > 0 {
			ids = append(ids, b.ID)
			sum += b.Outstanding
		}
	}
	if len(ids) == 0 {
		return nil
	}
	p, _ := civil.ParsePeriod(bills[len(bills)-1].Period)
	on := p.Start().AddDays(9)
	if on.After(today) {
		on = today
	}
	_, err := s.pay(ctx, tx, tenantID, Payment{TenantID: tenantID, RoomID: bills[0].RoomID, Channel: channel, Amount: sum, ReceivedOn: on, Payer: "业主"}, ids, false, false)
	return err
}

func (s *Service) seedPrepaidAndRefund(ctx context.Context, tenantID uuid.UUID, rooms SeedRooms, today civil.Date, d SeedData) error {
	for _, p := range d.Prepaid {
		id, err := resolve(ctx, rooms, tenantID, p.Room)
		if err != nil {
			return err
		}
		m, err := money.Parse(p.Amount, money.CNY)
		if err != nil {
			return err
		}
		if _, err := s.RecordPayment(ctx, tenantID, PaymentIn{RoomID: id, Amount: m.Amount, Channel: "bank_transfer", Prepay: true, Payer: "业主", Note: "预存物业费"}); err != nil {
			return err
		}
	}
	if d.Refund.Room == "" {
		return nil
	}
	room, err := resolve(ctx, rooms, tenantID, d.Refund.Room)
	if err != nil {
		return err
	}
	amt, err := money.Parse(d.Refund.Amount, money.CNY)
	if err != nil {
		return err
	}
	pays, _, err := s.ListPayments(ctx, tenantID, PaymentFilter{RoomID: &room}, paging.Paging{Limit: 1})
	if err != nil || len(pays) == 0 {
		return err
	}
	// Two finance people: one asks, the other approves.
	asker := actor.With(ctx, actor.Actor{Kind: actor.User, ID: uuid.NewSHA1(tenantID, []byte("demo-finance-1")), Name: "出纳"})
	approver := actor.With(ctx, actor.Actor{Kind: actor.User, ID: uuid.NewSHA1(tenantID, []byte("demo-finance-2")), Name: "财务主管"})
	r, err := s.RequestRefund(asker, tenantID, pays[0].ID, RefundIn{Amount: amt.Amount, Reason: d.Refund.Reason})
	if err != nil {
		return err
	}
	_, err = s.ApproveRefund(approver, tenantID, r.ID)
	return err
}
