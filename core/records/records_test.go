package records_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/wuye-project/wuye/core/records"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

var venues = records.Collection{Name: "venues", Indexes: []records.Index{{Field: "code", Unique: true}, {Field: "capacity"}, {Field: "name"}, {Field: "open"}}}

func doc(v map[string]any) []byte { b, _ := json.Marshal(v); return b }

func TestPutGetDeleteVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := records.New(db)
		ta, tb := store.NewID(), store.NewID()
		r, err := s.Put(ctx, ta, "events", venues, "", doc(map[string]any{"code": "hall", "capacity": 50}), -1)
		if err != nil || r.Version != 1 || r.ID == "" {
			t.Fatalf("create: %+v %v", r, err)
		}
		if _, err := s.Put(ctx, ta, "events", venues, r.ID, doc(map[string]any{"code": "hall2"}), -1); !errors.Is(err, records.ErrExists) {
			t.Fatalf("create twice: %v", err)
		}
		r2, err := s.Put(ctx, ta, "events", venues, r.ID, doc(map[string]any{"code": "hall", "capacity": 60}), 1)
		if err != nil || r2.Version != 2 || r2.CreatedAt != r.CreatedAt {
			t.Fatalf("replace v1: %+v %v", r2, err)
		}
		if _, err := s.Put(ctx, ta, "events", venues, r.ID, doc(map[string]any{"code": "hall"}), 1); !errors.Is(err, records.ErrVersionConflict) {
			t.Fatalf("stale write: %v", err)
		}
		if _, err := s.Put(ctx, ta, "events", venues, "nope", doc(map[string]any{}), 3); !errors.Is(err, records.ErrNotFound) {
			t.Fatalf("replace missing: %v", err)
		}
		if r3, err := s.Put(ctx, ta, "events", venues, r.ID, doc(map[string]any{"code": "hall"}), 0); err != nil || r3.Version != 3 {
			t.Fatalf("unconditional: %+v %v", r3, err)
		}
		got, err := s.Get(ctx, ta, "events", "venues", r.ID)
		if err != nil || got.Version != 3 || string(got.Document) != `{"code":"hall"}` {
			t.Fatalf("get: %+v %v", got, err)
		}
		// Another tenant, and another plugin of the same tenant, see nothing.
		if _, err := s.Get(ctx, tb, "events", "venues", r.ID); !errors.Is(err, records.ErrNotFound) {
			t.Fatalf("tenant B reads A's record: %v", err)
		}
		if _, err := s.Get(ctx, ta, "parking", "venues", r.ID); !errors.Is(err, records.ErrNotFound) {
			t.Fatalf("another plugin reads the record: %v", err)
		}
		if err := s.Delete(ctx, tb, "events", "venues", r.ID, 0); !errors.Is(err, records.ErrNotFound) {
			t.Fatalf("tenant B deletes A's record: %v", err)
		}
		// B may use the same unique value: uniqueness is per tenant and plugin.
		if _, err := s.Put(ctx, tb, "events", venues, "", doc(map[string]any{"code": "hall"}), -1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(ctx, ta, "events", venues, "", doc(map[string]any{"code": "hall"}), 0); !errors.Is(err, records.ErrDuplicate) {
			t.Fatalf("duplicate unique value: %v", err)
		}
		if err := s.Delete(ctx, ta, "events", "venues", r.ID, 2); !errors.Is(err, records.ErrVersionConflict) {
			t.Fatalf("delete stale: %v", err)
		}
		if err := s.Delete(ctx, ta, "events", "venues", r.ID, 3); err != nil {
			t.Fatal(err)
		}
		// The unique value is free again.
		if _, err := s.Put(ctx, ta, "events", venues, "", doc(map[string]any{"code": "hall"}), -1); err != nil {
			t.Fatalf("unique value after delete: %v", err)
		}
		big := make([]byte, records.MaxDocument+1)
		if _, err := s.Put(ctx, ta, "events", venues, "", big, 0); !errors.Is(err, records.ErrTooLarge) {
			t.Fatalf("too large: %v", err)
		}
		if _, err := s.Put(ctx, ta, "events", venues, "", []byte(`[1]`), 0); err == nil {
			t.Fatal("an array document was stored")
		}
	})
}

func TestQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := records.New(db)
		tn := store.NewID()
		for i := range 25 {
			d := map[string]any{"code": fmt.Sprintf("v%02d", i), "capacity": float64(i*10 - 50), "name": fmt.Sprintf("room %c", 'a'+i%5), "open": i%2 == 0}
			if i == 7 {
				delete(d, "name")
			}
			if _, err := s.Put(ctx, tn, "events", venues, fmt.Sprintf("id%02d", i), doc(d), -1); err != nil {
				t.Fatal(err)
			}
		}
		// Another tenant's records never show.
		s.Put(ctx, store.NewID(), "events", venues, "id03", doc(map[string]any{"capacity": 0}), -1)
		ids := func(q records.Query) []string {
			t.Helper()
			var out []string
			for {
				rs, next, err := s.Query(ctx, tn, "events", venues, q)
				if err != nil {
					t.Fatalf("query %+v: %v", q, err)
				}
				for _, r := range rs {
					out = append(out, r.ID)
				}
				if next == "" {
					return out
				}
				q.Cursor = next
			}
		}
		f := func(field, op string, v any) records.Filter {
			b, _ := json.Marshal(v)
			return records.Filter{Field: field, Op: op, Value: b}
		}
		cases := []struct {
			name string
			q    records.Query
			want string
		}{
			{"eq number", records.Query{Filters: []records.Filter{f("capacity", "eq", 0)}}, "[id05]"},
			{"negative range", records.Query{Filters: []records.Filter{f("capacity", "lt", -20)}}, "[id00 id01 id02]"},
			{"range", records.Query{Filters: []records.Filter{f("capacity", "gte", 100), f("capacity", "lte", 120)}}, "[id15 id16 id17]"},
			{"gt excludes other types", records.Query{Filters: []records.Filter{f("code", "gt", "v22")}}, "[id23 id24]"},
			{"in", records.Query{Filters: []records.Filter{f("code", "in", []string{"v01", "v09", "zz"})}}, "[id01 id09]"},
			{"prefix", records.Query{Filters: []records.Filter{f("code", "prefix", "v1")}, Limit: 3}, "[id10 id11 id12 id13 id14 id15 id16 id17 id18 id19]"},
			{"bool and ne", records.Query{Filters: []records.Filter{f("open", "eq", true), f("name", "ne", "room a")}, Limit: 2}, "[id02 id04 id06 id08 id12 id14 id16 id18 id22 id24]"},
			{"ne matches a missing field", records.Query{Filters: []records.Filter{f("name", "ne", "room c"), f("capacity", "lt", 30)}}, "[id00 id01 id03 id04 id05 id06 id07]"},
			{"id prefix", records.Query{Filters: []records.Filter{f("id", "prefix", "id2")}}, "[id20 id21 id22 id23 id24]"},
			{"order by field desc, paged", records.Query{Filters: []records.Filter{f("capacity", "lt", 0)}, OrderBy: "capacity", Descending: true, Limit: 2}, "[id04 id03 id02 id01 id00]"},
			{"order by name, missing first, paged", records.Query{Filters: []records.Filter{f("capacity", "lt", 50)}, OrderBy: "name", Limit: 3}, "[id07 id00 id05 id01 id06 id02 id03 id08 id04 id09]"},
			{"order by created_at desc", records.Query{Filters: []records.Filter{f("id", "lt", "id03")}, OrderBy: "created_at", Descending: true, Limit: 1}, "[id02 id01 id00]"},
		}
		for _, c := range cases {
			if got := fmt.Sprint(ids(c.q)); got != c.want {
				t.Errorf("%s: %s, want %s", c.name, got, c.want)
			}
		}
		for _, bad := range []records.Query{
			{Filters: []records.Filter{f("notindexed", "eq", 1)}},
			{Filters: []records.Filter{f("code", "like", "x")}},
			{Filters: []records.Filter{f("capacity", "prefix", 1)}},
			{OrderBy: "nope"},
			{Limit: 1001},
			{Cursor: "garbage"},
		} {
			if _, _, err := s.Query(ctx, tn, "events", venues, bad); err == nil {
				t.Errorf("query %+v was accepted", bad)
			}
		}
	})
}

// TestConcurrentWrites: 20 writers at once — creating the same id, or
// different ids with the same unique value — leave exactly one winner; 20
// unconditional writes of one id leave version 20.
func TestConcurrentWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := records.New(db)
		tn := store.NewID()
		run := func(fn func(i int) error) (ok int, errs []error) {
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					err := fn(i)
					mu.Lock()
					defer mu.Unlock()
					if err == nil {
						ok++
					} else {
						errs = append(errs, err)
					}
				})
			}
			wg.Wait()
			return ok, errs
		}
		ok, errs := run(func(i int) error {
			_, err := s.Put(ctx, tn, "events", venues, "same", doc(map[string]any{"n": i}), -1)
			return err
		})
		if ok != 1 {
			t.Fatalf("same id: %d winners", ok)
		}
		for _, err := range errs {
			if !errors.Is(err, records.ErrExists) {
				t.Fatalf("same id loser: %v", err)
			}
		}
		ok, errs = run(func(i int) error {
			_, err := s.Put(ctx, tn, "events", venues, fmt.Sprint("u", i), doc(map[string]any{"code": "only"}), 0)
			return err
		})
		if ok != 1 {
			t.Fatalf("unique value: %d winners", ok)
		}
		for _, err := range errs {
			if !errors.Is(err, records.ErrDuplicate) {
				t.Fatalf("unique value loser: %v", err)
			}
		}
		if ok, errs = run(func(i int) error {
			_, err := s.Put(ctx, tn, "events", venues, "counter", doc(map[string]any{"n": i}), 0)
			return err
		}); ok != 20 {
			t.Fatalf("unconditional writes: %d ok, %v", ok, errs)
		}
		if r, err := s.Get(ctx, tn, "events", "venues", "counter"); err != nil || r.Version != 20 {
			t.Fatalf("counter: %+v %v", r, err)
		}
	})
}
