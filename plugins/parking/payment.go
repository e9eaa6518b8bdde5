package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// payment opens (or finds again: the key is the session and the amount) the
// QR payment of a temporary session's due fee and keeps it on the session.
func (a *app) payment(ctx context.Context, s *Session, due int64) (*wuyepb.Payment, error) {
	cfg := a.config()
	hours := (a.now().UnixMilli() - s.EntryAt) / 3_600_000
	pay, err := a.dev().Pay(ctx, &wuyepb.CreatePaymentRequest{AmountFen: due, Currency: cfg.Currency,
		Subject:   "临时停车 " + s.Plate + " " + strconv.FormatInt(hours, 10) + "小时",
		Reference: s.ID, Channel: "qr", IdempotencyKey: "parking:session:" + s.ID + ":" + strconv.FormatInt(due, 10)})
	if err != nil {
		return nil, err
	}
	err = retry(ctx, func() error {
		var cur Session
		v, err := a.get(ctx, colSessions, s.ID, &cur, "session_not_found")
		if err != nil || cur.PaymentID == pay.Id {
			return err
		}
		cur.PaymentID, cur.PayURL, cur.FeeFen = pay.Id, pay.PayUrl, s.PaidFen+due
		_, err = a.host().Put(ctx, colSessions, s.ID, cur, v)
		return err
	})
	return pay, err
}

// paymentReceived is the payload of the core's "payment.received".
type paymentReceived struct {
	Plugin    string `json:"plugin"`
	Reference string `json:"reference"`
	PaymentID string `json:"payment_id"`
	AmountFen int64  `json:"amount_fen"`
	Currency  string `json:"currency"`
}

// paidSession holds the payments a session has counted, so a redelivered
// event counts nothing twice.
type paidSession struct {
	Session
	Payments []string `json:"payments,omitempty"`
}

// onPaymentReceived marks a temporary session paid and starts its grace
// period to leave.
func (a *app) onPaymentReceived(ctx context.Context, ev plugin.Event) error {
	var p paymentReceived
	if err := ev.Decode(&p); err != nil {
		plugin.Logger().Warn("malformed payment.received", "event", ev.ID, "err", err)
		return nil
	}
	if p.Plugin != "parking" || p.Reference == "" {
		return nil
	}
	return a.markPaid(ctx, p)
}

func (a *app) markPaid(ctx context.Context, p paymentReceived) error {
	return retry(ctx, func() error {
		var s paidSession
		v, err := a.get(ctx, colSessions, p.Reference, &s, "session_not_found")
		if isMissing(err) {
			plugin.Logger().Warn("payment for an unknown session", "reference", p.Reference)
			return nil
		}
		if err != nil || slices.Contains(s.Payments, p.PaymentID) {
			return err
		}
		now := a.now()
		s.Payments = append(s.Payments, p.PaymentID)
		s.PaidFen += p.AmountFen
		s.PaidAt = now.UnixMilli()
		s.GraceUntil = now.Add(a.config().Grace()).UnixMilli()
		_, err = a.host().Put(ctx, colSessions, s.ID, s, v)
		if err == nil {
			_ = a.audit(ctx, "session.paid", "session", s.ID, map[string]any{"payment_id": p.PaymentID, "amount_fen": p.AmountFen})
		}
		return err
	})
}

// isMissing reports a record that is not there, as the host or this
// plugin said it.
func isMissing(err error) bool {
	var pe *plugin.Error
	return plugin.IsNotFound(err) || (errors.As(err, &pe) && pe.Status == http.StatusNotFound)
}

// Ticket is what a temporary car owes now.
type Ticket struct {
	SessionID  string `json:"session_id"`
	Plate      string `json:"plate"`
	EntryAt    int64  `json:"entry_at_ms"`
	FeeFen     int64  `json:"fee_fen"`
	PaidFen    int64  `json:"paid_fen"`
	DueFen     int64  `json:"due_fen"`
	Currency   string `json:"currency"`
	PayURL     string `json:"pay_url,omitempty"`
	GraceUntil int64  `json:"grace_until_ms,omitempty"`
}

// ticket prices an open temporary session now and, when something is due,
// opens its payment (paying before reaching the exit).
func (a *app) ticket(ctx context.Context, s *Session) (*Ticket, error) {
	now := a.now()
	cfg := a.config()
	t := &Ticket{SessionID: s.ID, Plate: s.Plate, EntryAt: s.EntryAt, PaidFen: s.PaidFen, Currency: cfg.Currency, GraceUntil: s.GraceUntil}
	if s.Kind != KindTemporary {
		return t, nil
	}
	t.FeeFen = cfg.Fee(time.UnixMilli(s.EntryAt), now, a.loc())
	t.DueFen = max(0, t.FeeFen-s.PaidFen)
	if s.PaidAt > 0 && now.UnixMilli() <= s.GraceUntil {
		t.DueFen = 0
	}
	if t.DueFen > 0 {
		pay, err := a.payment(ctx, s, t.DueFen)
		if err != nil {
			return nil, err
		}
		t.PayURL = pay.PayUrl
	}
	return t, nil
}

// chargePass bills a monthly pass to its room through billing, once per
// pass period.
func (a *app) chargePass(ctx context.Context, p *Pass) error {
	if p.FeeFen <= 0 || p.RoomID == "" {
		return nil
	}
	from := time.UnixMilli(p.ValidFrom).In(a.loc()).Format("2006-01-02")
	to := time.UnixMilli(p.ValidTo).In(a.loc()).Format("2006-01-02")
	ch, err := a.host().Charge(ctx, &wuyepb.PostChargeRequest{RoomId: p.RoomID, ResidentId: p.ResidentID, AmountFen: p.FeeFen,
		Currency: a.config().Currency, Description: "月卡 " + p.Plate + " " + from + "至" + to,
		IdempotencyKey: "parking:pass:" + p.ID + ":" + from})
	if err != nil {
		return err
	}
	p.ChargeID = ch.Id
	return nil
}
