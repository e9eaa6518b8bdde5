package billing

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/decimal"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/store"
)

// MaxPrepayMonths bounds one prepayment (预缴).
const MaxPrepayMonths = 36

// KindDiscount is the kind of a quote's prepayment discount line.
const KindDiscount = "discount"

// PrepayQuote is what paying a room's next Months unbilled periods ahead
// costs: each period's lines of the items billed ahead (usage, metered or
// shared, waits for its readings and the monthly run), each followed by a
// discount line (negative) when its fee item has a prepay tier for that
// many months. Exceptions are the quote's, for items left to the run.
type PrepayQuote struct {
	RoomID     uuid.UUID       `json:"room_id"`
	Months     int             `json:"months"`
	From       civil.Period    `json:"from"`
	To         civil.Period    `json:"to"`
	Currency   money.Currency  `json:"currency"`
	Periods    []PrepayPeriod  `json:"periods"`
	Gross      int64           `json:"gross"`    // before the discount
	Discount   int64           `json:"discount"` // taken off, ≥ 0
	Total      int64           `json:"total"`    // what is paid
	Exceptions []fee.Exception `json:"exceptions"`
}

// PrepayPeriod is one period of a prepayment quote.
type PrepayPeriod struct {
	Period   civil.Period `json:"period"`
	Lines    []fee.Line   `json:"lines"`
	Gross    int64        `json:"gross"`
	Discount int64        `json:"discount"`
}

// PrepayIn pays a room's next Months periods ahead at the counter.
type PrepayIn struct {
	RoomID  uuid.UUID `json:"room_id"`
	Months  int       `json:"months"`
	Channel string    `json:"channel"` // cash, bank_transfer, pos, cheque
	Payer   string    `json:"payer"`
	Note    string    `json:"note"`
}

// Prepayment is a prepayment's answer: its quote, the bills it issued and
// the payment (with its receipt number) that paid them.
type Prepayment struct {
	Quote   PrepayQuote `json:"quote"`
	Bills   []Bill      `json:"bills"`
	Payment PaymentView `json:"payment"`
}

var (
	ErrPrepayMonths       = apperr.New(apperr.KindInvalid, "invalid_months", "months must be from 1 to 36.", "预缴月数必须在 1 到 36 之间。")
	ErrPrepayNotPriceable = apperr.New(apperr.KindInvalid, "prepay_not_priceable", "Nothing of the room can be priced ahead for these months; fix the listed exceptions first.", "该房屋在这些月份没有可预缴的费用,请先处理所列异常。")
	ErrPrepayTooFar       = apperr.New(apperr.KindConflict, "prepay_too_far_ahead", "The room is billed too far ahead to prepay these months.", "该房屋已出账至较远月份,不能再预缴这些月份。")
	ErrPrepayBilled       = apperr.New(apperr.KindConflict, "prepay_period_billed", "Some of these months are billed already; pay those bills instead.", "其中部分月份已出账,请直接缴纳这些账单。")
)

// PrepayQuote prices a room's next months unbilled periods with their
// prepayment discount; nothing is written.
func (s *Service) PrepayQuote(ctx context.Context, tenantID, roomID uuid.UUID, months int) (PrepayQuote, error) {
	if _, err := s.rooms.RoomPlace(ctx, tenantID, roomID); err != nil { // another tenant's room: 404 before any 400
		return PrepayQuote{}, err
	}
	if months < 1 || months > MaxPrepayMonths {
		return PrepayQuote{}, ErrPrepayMonths
	}
	start, err := s.firstUnbilled(ctx, tenantID, roomID, months)
	if err != nil {
		return PrepayQuote{}, err
	}
	return s.quotePrepay(ctx, tenantID, roomID, start, months)
}

// firstUnbilled is the room's first period from this month on without a
// period bill (a run's or a prepayment's); it starts at most next month +
// months, and the months from it on must all be unbilled.
func (s *Service) firstUnbilled(ctx context.Context, tenantID, roomID uuid.UUID, months int) (civil.Period, error) {
	cur := civil.PeriodOf(s.today(ctx, tenantID))
	var keys []string
	for i := range 2*months + 2 {
		keys = append(keys, "p:"+cur.Add(i).String(), prepayKey(cur.Add(i)))
	}
	var rows []string
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT bill_key FROM bills WHERE tenant_id = ? AND room_id = ? AND bill_key IN ?`, tenantID, roomID, keys).Scan(&rows).Error
	})
	if err != nil {
		return civil.Period{}, err
	}
	billed := func(i int) bool { return slices.Contains(rows, keys[2*i]) || slices.Contains(rows, keys[2*i+1]) }
	i := 0
	for i <= months+1 && billed(i) {
		i++
	}
	if i > months+1 {
		return civil.Period{}, ErrPrepayTooFar
	}
	for k := i; k < i+months; k++ {
		if billed(k) {
			return civil.Period{}, ErrPrepayBilled
		}
	}
	return cur.Add(i), nil
}

// prepayKey is the bill key of a prepayment's bill for p; a run's bill of p
// ("p:" + p) leaves out the items it holds (prepaidItems).
func prepayKey(p civil.Period) string { return "prepay:" + p.String() }

// billedAhead says whether a line's item is billed ahead (a prepayment can
// take it): usage, metered or shared, is known only after the readings.
func billedAhead(l fee.Line) bool { return l.Kind != fee.KindMetered && l.Kind != fee.KindShared }

// quotePrepay prices months periods from start with the pricer, adding the
// discount lines. A period the pricer cannot price whole refuses the quote.
func (s *Service) quotePrepay(ctx context.Context, tenantID, roomID uuid.UUID, start civil.Period, months int) (PrepayQuote, error) {
	q := PrepayQuote{RoomID: roomID, Months: months, From: start, To: start.Add(months - 1), Currency: money.CNY, Periods: []PrepayPeriod{}}
	q.Exceptions = []fee.Exception{}
	pcts := map[uuid.UUID]string{}
	for i := range months {
		rq, err := s.pricer.Quote(ctx, tenantID, roomID, start.Add(i))
		if err != nil {
			return q, err
		}
		q.Exceptions = append(q.Exceptions, rq.Exceptions...)
		pp := PrepayPeriod{Period: start.Add(i), Lines: []fee.Line{}}
		for _, l := range rq.Lines {
			if !billedAhead(l) {
				continue
			}
			if !l.Currency.Valid() || (q.Gross+pp.Gross > 0 && l.Currency != q.Currency) {
				return q, ErrCurrency
			}
			q.Currency = l.Currency
			pp.Lines = append(pp.Lines, l)
			pp.Gross += l.Amount
			d, err := s.prepayDiscount(ctx, tenantID, pcts, l, months)
			if err != nil {
				return q, err
			}
			if d.Amount < 0 {
				pp.Lines = append(pp.Lines, d)
				pp.Discount -= d.Amount
			}
		}
		q.Gross += pp.Gross
		q.Discount += pp.Discount
		q.Periods = append(q.Periods, pp)
	}
	if q.Gross <= 0 {
		return q, ErrPrepayNotPriceable.WithDetails(q.Exceptions)
	}
	q.Total = q.Gross - q.Discount
	return q, nil
}

// prepayDiscount is l's discount line for paying months ahead (Amount 0
// when its item has no tier for that): the tier's percent of the line,
// rounded half-up to the fen.
func (s *Service) prepayDiscount(ctx context.Context, tenantID uuid.UUID, pcts map[uuid.UUID]string, l fee.Line, months int) (fee.Line, error) {
	if l.ItemID == uuid.Nil || l.Amount <= 0 {
		return fee.Line{}, nil
	}
	pct, ok := pcts[l.ItemID]
	if !ok {
		var err error
		if pct, err = s.pricer.PrepayPercent(ctx, tenantID, l.ItemID, months); err != nil {
			return fee.Line{}, err
		}
		pcts[l.ItemID] = pct
	}
	p, err := decimal.Parse(pct, 4) // percent at scale 4 is a fraction at scale 6
	if err != nil || p <= 0 {
		return fee.Line{}, err
	}
	off, err := decimal.Mul(l.Amount, 0, p, 6, 0, decimal.HalfUp)
	if err != nil || off == 0 {
		return fee.Line{}, err
	}
	return fee.Line{ItemID: l.ItemID, Version: l.Version, Code: l.Code, Name: l.Name + "预缴优惠", Kind: KindDiscount,
		From: l.From, To: l.To, Quantity: "1", Rate: "-" + pct + "%", Amount: -off, Currency: l.Currency,
		Detail: fmt.Sprintf("预缴 %d 个月优惠 %s%%", months, pct), DueDays: l.DueDays}, nil
}

// Prepay issues the room's next months bills of the items billed ahead
// (source "prepay"; later runs of those periods leave these items out) and
// pays them with one counter payment and its receipt, in one transaction. Bill lines
// cannot be negative, so each bill keeps its priced lines and its discount
// is a ledger adjustment on it; the payment pays what is then owed.
func (s *Service) Prepay(ctx context.Context, tenantID uuid.UUID, in PrepayIn) (out Prepayment, err error) {
	if !slices.Contains(OfflineChannels, in.Channel) {
		return out, ErrChannel
	}
	if out.Quote, err = s.PrepayQuote(ctx, tenantID, in.RoomID, in.Months); err != nil {
		return out, err
	}
	if out.Quote.Total <= 0 {
		return out, ErrNoBills
	}
	place, err := s.rooms.RoomPlace(ctx, tenantID, in.RoomID)
	if err != nil {
		return out, err
	}
	today := s.today(ctx, tenantID)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		bills, err := s.issuePrepaid(ctx, tx, tenantID, place, out.Quote, today)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(bills))
		for i, b := range bills {
			ids[i] = b.ID
		}
		p := Payment{TenantID: tenantID, RoomID: in.RoomID, Channel: in.Channel, Amount: out.Quote.Total, Currency: out.Quote.Currency,
			ReceivedOn: today, Payer: strings.TrimSpace(in.Payer), Note: strings.TrimSpace(in.Note)}
		if p.Note == "" {
			p.Note = fmt.Sprintf("预缴 %s 至 %s", out.Quote.From, out.Quote.To)
		}
		out.Bills = bills
		out.Payment, err = s.pay(ctx, tx, tenantID, p, ids, false, false)
		return err
	})
	return out, err
}

// issuePrepaid writes the quote's bills, their priced lines, charge entries
// and discount adjustments in tx. A period billed meanwhile refuses it all.
func (s *Service) issuePrepaid(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, place RoomPlace, q PrepayQuote, today civil.Date) ([]Bill, error) {
	var (
		bills   []Bill
		lines   []BillLine
		entries []Entry
		actor   = who(ctx)
	)
	for _, pp := range q.Periods {
		priced := slices.DeleteFunc(slices.Clone(pp.Lines), func(l fee.Line) bool { return l.Kind == KindDiscount })
		if pp.Gross <= 0 {
			continue
		}
		key := prepayKey(pp.Period)
		b := Bill{TenantID: tenantID, ID: store.NewID(), RoomID: q.RoomID, CommunityID: place.CommunityID, BuildingID: place.BuildingID,
			Period: pp.Period.String(), BillKey: key, Source: "prepay", Amount: pp.Gross, Currency: q.Currency,
			IssuedOn: today, DueOn: pp.Period.Start().AddDays(minDueDays(priced)), Status: StatusIssued}
		written, err := s.insertBills(tx, tenantID, key, []Bill{b})
		if err != nil {
			return nil, err
		}
		if len(written) != 1 {
			return nil, ErrPrepayBilled
		}
		bills = append(bills, b)
		for i, l := range priced {
			lines = append(lines, lineOf(tenantID, b.ID, i, l))
		}
		bid := b.ID
		e := Entry{TenantID: tenantID, RoomID: q.RoomID, Account: AccountReceivable, Currency: q.Currency, BillID: &bid, BookedOn: today, Actor: actor}
		charge := e
		charge.ID, charge.Kind, charge.Amount, charge.Reason = store.NewID(), KindCharge, pp.Gross, "bill "+b.Period
		entries = append(entries, charge)
		if pp.Discount > 0 {
			off := e
			off.ID, off.Kind, off.Amount = store.NewID(), KindAdjustment, -pp.Discount
			off.Reason = discountReason(pp.Lines)
			entries = append(entries, off)
		}
	}
	if len(bills) == 0 {
		return nil, ErrNoBills
	}
	return bills, s.insertLinesAndEntries(tx, tenantID, lines, entries)
}

// discountReason joins a period's discount details ("预缴 12 个月优惠 5%").
func discountReason(ls []fee.Line) string {
	var ds []string
	for _, l := range ls {
		if l.Kind == KindDiscount && !slices.Contains(ds, l.Detail) {
			ds = append(ds, l.Detail)
		}
	}
	return strings.Join(ds, ";")
}
