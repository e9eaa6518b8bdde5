package fee_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// residents is the resident domain as pricing sees it, set by each test.
type residents struct {
	mu     sync.Mutex
	byRoom map[uuid.UUID][]fee.Residence
}

func (r *residents) Residences(_ context.Context, _ uuid.UUID, ids []uuid.UUID) ([]fee.Residence, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []fee.Residence
	for _, id := range ids {
		out = append(out, r.byRoom[id]...)
	}
	return out, nil
}

func (r *residents) add(x fee.Residence) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byRoom == nil {
		r.byRoom = map[uuid.UUID][]fee.Residence{}
	}
	r.byRoom[x.RoomID] = append(r.byRoom[x.RoomID], x)
}

type world struct {
	db     *store.DB
	props  *property.Service
	fees   *fee.Service
	res    *residents
	tenant uuid.UUID
	comm   property.Community
	rooms  []property.Room
}

func day(s string) civil.Date {
	d, err := civil.Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

func month(s string) civil.Period {
	p, err := civil.ParsePeriod(s)
	if err != nil {
		panic(err)
	}
	return p
}

// setup makes a community with one building of floors × perFloor rooms of
// 89.56 m², and the fee service over it.
func setup(t testing.TB, db *store.DB, floors, perFloor int) *world {
	t.Helper()
	ctx := context.Background()
	props, err := property.New(db, property.Unlimited, property.NoResidents{})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, props: props, res: &residents{}, tenant: store.NewID()}
	if w.fees, err = fee.New(db, app.FeeRooms(props), w.res); err != nil {
		t.Fatal(err)
	}
	if w.comm, err = props.CreateCommunity(ctx, w.tenant, property.CommunityInput{Name: "阳光花园"}); err != nil {
		t.Fatal(err)
	}
	area := property.Area(8956)
	if _, err := props.GenerateBuilding(ctx, w.tenant, property.GenerateSpec{CommunityID: w.comm.ID, Name: "1栋", Units: 1, Floors: floors, RoomsPerFloor: perFloor, BuiltArea: &area}); err != nil {
		t.Fatal(err)
	}
	w.rooms, _, err = props.ListRooms(ctx, w.tenant, property.RoomFilter{CommunityID: w.comm.ID.String()}, paging.Paging{Limit: 100, Order: "id"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// owner moves an owner household into room i from the given day.
func (w *world) owner(i int, from string) {
	w.res.add(fee.Residence{RoomID: w.rooms[i].ID, HouseholdID: store.NewID(), Owner: true, MoveIn: day(from)})
}

func (w *world) item(t testing.TB, in fee.ItemInput, rules ...fee.RuleInput) fee.ItemView {
	t.Helper()
	ctx := context.Background()
	in.CommunityID = w.comm.ID
	it, err := w.fees.CreateItem(ctx, w.tenant, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		v, err := w.fees.AddRule(ctx, w.tenant, it.ID, r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.fees.ActivateRule(ctx, w.tenant, v.ID); err != nil {
			t.Fatal(err)
		}
	}
	return it
}

func (w *world) quote(t testing.TB, room int, p string) fee.RoomQuote {
	t.Helper()
	q, err := w.fees.Quote(context.Background(), w.tenant, w.rooms[room].ID, month(p))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

func amounts(q fee.RoomQuote) []int64 {
	out := []int64{}
	for _, l := range q.Lines {
		out = append(out, l.Amount)
	}
	return out
}

func excs(q fee.RoomQuote) []string {
	out := []string{}
	for _, e := range q.Exceptions {
		out = append(out, e.Code)
	}
	return out
}

// Property fee 89.56 m² × 2.50 × coefficient 1.2000 = 268.68 a month. The
// owner moves in on 11 March: 21/31 days full = 182.0090… → 182.01, and the
// 10 vacant days at 50 % off: 268.68 × 10/31 × 50 % = 43.3354… → 43.34.
func TestAreaWithCoefficientAndProration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, 1, 2)
		coef := property.Coefficient(12000)
		if _, err := w.props.UpdateRoom(context.Background(), w.tenant, w.rooms[0].ID, property.RoomInput{FeeCoefficient: &coef}); err != nil {
			t.Fatal(err)
		}
		w.item(t, fee.ItemInput{Code: "property_fee", Name: "物业费", Kind: fee.KindArea, Unit: "m²", VacancyPercent: "50"},
			fee.RuleInput{ValidFrom: day("2026-01-01"), Rate: "2.50"})
		w.owner(0, "2026-03-11")
		q := w.quote(t, 0, "2026-03")
		if got := amounts(q); !slices.Equal(got, []int64{4334, 18201}) {
			t.Fatalf("amounts %v, want vacant 4334 then occupied 18201; lines %+v", got, q.Lines)
		}
		if q.Lines[0].From != day("2026-03-01") || q.Lines[0].To != day("2026-03-10") || q.Lines[1].From != day("2026-03-11") {
			t.Fatalf("pieces %v–%v, %v", q.Lines[0].From, q.Lines[0].To, q.Lines[1].From)
		}
		if want := "89.56 m² × 2.5000/m²/month × coefficient 1.2000 × 21/31 days"; q.Lines[1].Detail != want {
			t.Fatalf("detail %q, want %q", q.Lines[1].Detail, want)
		}
		if len(q.Exceptions) != 0 {
			t.Fatalf("exceptions %v", excs(q))
		}
		// April: lived in all month, full amount; the room without owner says so.
		if got := amounts(w.quote(t, 0, "2026-04")); !slices.Equal(got, []int64{26868}) {
			t.Fatalf("april %v", got)
		}
		if got := excs(w.quote(t, 1, "2026-04")); !slices.Equal(got, []string{fee.ExcNoOwner}) {
			t.Fatalf("room without owner: %v", got)
		}
	})
}

// A room with no area cannot be priced by area: an exception, not a failure.
func TestNoArea(t *testing.T) {
	w := setup(t, storetest.SQLite(t), 1, 1)
	zero := property.Area(0)
	if _, err := w.props.UpdateRoom(context.Background(), w.tenant, w.rooms[0].ID, property.RoomInput{BuiltArea: &zero}); err != nil {
		t.Fatal(err)
	}
	w.item(t, fee.ItemInput{Code: "pf", Name: "物业费", Kind: fee.KindArea}, fee.RuleInput{ValidFrom: day("2026-01-01"), Rate: "2.50"})
	w.owner(0, "2025-01-01")
	q := w.quote(t, 0, "2026-03")
	if len(q.Lines) != 0 || !slices.Equal(excs(q), []string{fee.ExcNoArea}) {
		t.Fatalf("lines %v exceptions %v", q.Lines, excs(q))
	}
}

// v1 2.00 until 15 March, v2 2.50 from the 16th: two lines.
// 89.56 × 2.00 × 15/31 = 86.6709… → 86.67; 89.56 × 2.50 × 16/31 = 115.5612… → 115.56.
func TestVersionChangeMidPeriod(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, 1, 1)
		w.owner(0, "2025-01-01")
		it := w.item(t, fee.ItemInput{Code: "pf", Name: "物业费", Kind: fee.KindArea},
			fee.RuleInput{ValidFrom: day("2026-01-01"), ValidTo: day("2026-03-15"), Rate: "2.00"},
			fee.RuleInput{ValidFrom: day("2026-03-16"), Rate: "2.50"})
		q := w.quote(t, 0, "2026-03")
		if got := amounts(q); !slices.Equal(got, []int64{8667, 11556}) {
			t.Fatalf("amounts %v", got)
		}
		if q.Lines[0].Version != 1 || q.Lines[1].Version != 2 {
			t.Fatalf("versions %d %d", q.Lines[0].Version, q.Lines[1].Version)
		}
		// Per-bill rounding: the two exact parts (86.6709… + 115.5612…) sum to 202.2322 → 202.23.
		in := fee.ItemInput{CommunityID: w.comm.ID, Code: "pf", Name: "物业费", Kind: fee.KindArea, RoundingScope: "bill"}
		if _, err := w.fees.UpdateItem(context.Background(), w.tenant, it.ID, in); err != nil {
			t.Fatal(err)
		}
		q = w.quote(t, 0, "2026-03")
		if got := amounts(q); got[0]+got[1] != 20223 {
			t.Fatalf("per bill %v", got)
		}
	})
}

func TestRulesRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db, 1, 1)
		it := w.item(t, fee.ItemInput{Code: "pf", Name: "物业费", Kind: fee.KindArea},
			fee.RuleInput{ValidFrom: day("2026-01-01"), ValidTo: day("2026-06-30"), Rate: "2.00"})
		cases := []struct {
			in   fee.RuleInput
			code string
		}{
			{fee.RuleInput{ValidFrom: day("2026-06-01"), Rate: "2.50"}, "overlapping_rules"},
			{fee.RuleInput{ValidFrom: day("2025-01-01"), ValidTo: day("2026-01-01"), Rate: "2.50"}, "overlapping_rules"},
			{fee.RuleInput{ValidFrom: day("2026-07-01"), Rate: "2.50001"}, "rate_too_precise"},
			{fee.RuleInput{ValidFrom: day("2026-07-01"), Rate: "-2.50"}, "negative_rate"},
			{fee.RuleInput{ValidFrom: day("2026-07-01"), Rate: "abc"}, "invalid_rate"},
			{fee.RuleInput{ValidFrom: day("2026-07-01"), ValidTo: day("2026-06-01"), Rate: "2"}, "invalid_input"},
		}
		for _, c := range cases {
			if _, err := w.fees.AddRule(ctx, w.tenant, it.ID, c.in); code(err) != c.code {
				t.Errorf("%+v: %v, want %s", c.in, err, c.code)
			}
		}
		v, _ := w.fees.GetItem(ctx, w.tenant, it.ID)
		if len(v.Versions) != 1 {
			t.Fatalf("refused rules were written: %d versions", len(v.Versions))
		}
		// With versions, the item keeps its kind.
		in := fee.ItemInput{CommunityID: w.comm.ID, Code: "pf", Name: "物业费", Kind: fee.KindFixed}
		if _, err := w.fees.UpdateItem(ctx, w.tenant, it.ID, in); code(err) != "fee_kind_change" {
			t.Fatalf("kind change: %v", err)
		}
		// A retired version no longer blocks its dates.
		if _, err := w.fees.RetireRule(ctx, w.tenant, v.Versions[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.fees.AddRule(ctx, w.tenant, it.ID, fee.RuleInput{ValidFrom: day("2026-06-01"), Rate: "2.50"}); err != nil {
			t.Fatal(err)
		}
		// Another tenant sees nothing.
		other := store.NewID()
		if _, err := w.fees.GetItem(ctx, other, it.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant's item: %v", err)
		}
		if _, err := w.fees.AddRule(ctx, other, it.ID, fee.RuleInput{ValidFrom: day("2027-01-01"), Rate: "1"}); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant's rule add: %v", err)
		}
	})
}
