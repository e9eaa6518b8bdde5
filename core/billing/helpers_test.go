package billing_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// world is a tenant's rooms as the fake pricer and property see them: each
// room pays a property fee of area × 2.50 a month, due 15 days in, with a
// late fee of 0.05 %/day after 5 days, capped at 10 %.
type world struct {
	mu        sync.Mutex
	community uuid.UUID
	building  uuid.UUID
	rooms     []uuid.UUID         // sorted
	area      map[uuid.UUID]int64 // centi-m²
	failAfter int                 // QuoteCommunity fails after this many batches (0: never)
	calls     int
	mine      []uuid.UUID           // the resident's rooms
	item      uuid.UUID             // the property fee item: 6 months prepaid → 2 % off, 12 → 5 %
	blocked   map[civil.Period]bool // periods the property fee cannot be priced
	water     bool                  // quotes carry a metered water line too
}

func newWorld(n int) *world {
	w := &world{community: store.NewID(), building: store.NewID(), area: map[uuid.UUID]int64{}, item: store.NewID(), blocked: map[civil.Period]bool{}}
	for i := range n {
		id := store.NewID()
		w.rooms = append(w.rooms, id)
		w.area[id] = 5000 + int64(i)*137 // 50.00 m² and up
	}
	slices.SortFunc(w.rooms, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return w
}

func (w *world) quote(room uuid.UUID, p civil.Period) fee.RoomQuote {
	a := w.area[room]
	amt := (a*250 + 50) / 100 // area (centi-m²) × 2.50 yuan = fen, half-up
	q := fee.RoomQuote{RoomID: room, CommunityID: w.community, BuildingID: w.building, Period: p, Exceptions: []fee.Exception{},
		Lines: []fee.Line{{ItemID: w.item, Code: "property_fee", Name: "物业费", Kind: fee.KindArea, From: p.Start(), To: p.End(),
			Quantity: fmt.Sprintf("%d.%02d", a/100, a%100), Unit: "m²", Rate: "2.50", Amount: amt, Currency: money.CNY, DueDays: 15,
			Late: &fee.LatePolicy{GraceDays: 5, RatePerDay: "0.0005", CapPercent: "10"}}}}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.blocked[p] { // the property fee cannot be priced: no line, an exception
		q.Lines = nil
		q.Exceptions = append(q.Exceptions, fee.Exception{Code: fee.ExcNoArea, ItemID: w.item, Message: "no area", MessageZH: "缺少面积"})
	}
	if w.water { // usage of the month before, billed in arrears
		q.Lines = append(q.Lines, fee.Line{Code: "water", Name: "水费", Kind: fee.KindMetered, From: p.Start(), To: p.End(),
			Quantity: "10", Unit: "m³", Rate: "3.00", Amount: 3000, Currency: money.CNY, DueDays: 15})
	}
	return q
}

func (w *world) Quote(_ context.Context, _, room uuid.UUID, p civil.Period) (fee.RoomQuote, error) {
	return w.quote(room, p), nil
}

// PrepayPercent answers the property fee item's tiers with the fee
// domain's own rule (fee.Item.PrepayPercent).
func (w *world) PrepayPercent(_ context.Context, _, item uuid.UUID, months int) (string, error) {
	if item != w.item {
		return "", apperr.NotFound
	}
	it := fee.Item{PrepayTiers: `[{"months":6,"percent":"2"},{"months":12,"percent":"5"}]`}
	return it.PrepayPercent(months), nil
}

var errKilled = errors.New("killed")

func (w *world) QuoteCommunity(_ context.Context, _, community uuid.UUID, p civil.Period, after uuid.UUID, batch int, fn func([]fee.RoomQuote) error) error {
	var qs []fee.RoomQuote
	batches := 0
	for _, r := range w.rooms {
		if after != uuid.Nil && slices.Compare(r[:], after[:]) <= 0 {
			continue
		}
		qs = append(qs, w.quote(r, p))
		if len(qs) == batch {
			if err := fn(qs); err != nil {
				return err
			}
			qs, batches = nil, batches+1
			w.mu.Lock()
			fail := w.failAfter > 0 && batches >= w.failAfter
			w.mu.Unlock()
			if fail {
				return errKilled
			}
		}
	}
	if len(qs) > 0 {
		return fn(qs)
	}
	return nil
}

func (w *world) RoomPlace(_ context.Context, _, room uuid.UUID) (billing.RoomPlace, error) {
	if _, ok := w.area[room]; !ok {
		return billing.RoomPlace{}, apperr.NotFound
	}
	return billing.RoomPlace{CommunityID: w.community, BuildingID: w.building, Name: "阳光花园 1栋 1单元 101"}, nil
}

func (w *world) CommunityExists(_ context.Context, _, c uuid.UUID) (bool, error) {
	return c == w.community, nil
}

func (w *world) CountRooms(context.Context, uuid.UUID, uuid.UUID) (int64, error) {
	return int64(len(w.rooms)), nil
}

func (w *world) MyRoomIDs(context.Context, uuid.UUID, uuid.UUID) ([]uuid.UUID, error) {
	return w.mine, nil
}

// fixture is a billing service on a fresh database with one tenant.
type fixture struct {
	db     *store.DB
	svc    *billing.Service
	w      *world
	tenant uuid.UUID
	now    time.Time
}

func newFixture(t testing.TB, d store.Dialect, rooms int, opts ...billing.Option) *fixture {
	t.Helper()
	f := &fixture{db: storetest.Open(t, d), w: newWorld(rooms), tenant: store.NewID(),
		now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	opts = append([]billing.Option{billing.WithClock(func() time.Time { return f.now }), billing.WithBatch(10)}, opts...)
	svc, err := billing.New(f.db, billing.Deps{Pricer: f.w, Rooms: f.w, Residents: f.w}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

// as is a context acting as a finance user.
func as(id uuid.UUID) context.Context {
	return actor.With(context.Background(), actor.Actor{Kind: actor.User, ID: id, Name: "finance"})
}

func period(s string) civil.Period {
	p, err := civil.ParsePeriod(s)
	if err != nil {
		panic(err)
	}
	return p
}

// bill runs a whole (community, period) run and returns its bills.
func (f *fixture) bill(t testing.TB, p string) billing.Run {
	t.Helper()
	ctx := as(store.NewID())
	r, err := f.svc.StartRun(ctx, f.tenant, billing.RunIn{CommunityID: f.w.community, Period: period(p)})
	if err != nil {
		t.Fatal(err)
	}
	r, err = f.svc.ExecuteRun(ctx, f.tenant, r.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

func (w *world) RoomHolder(_ context.Context, _, room uuid.UUID) (uuid.UUID, string, bool, error) {
	return room, "业主" + room.String()[:4], true, nil
}
