package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

func detailCode(err error) (codes.Code, string) {
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if ed, ok := d.(*wuyepb.ErrorDetail); ok {
			return st.Code(), ed.Code
		}
	}
	return st.Code(), ""
}

func TestRecordsVersionsUniqueAndQueries(t *testing.T) {
	ctx := context.Background()
	f := NewFakeHost(&wuyepb.Manifest{Name: "t", Collections: []*wuyepb.Collection{{Name: "c", Indexes: []*wuyepb.IndexField{
		{Field: "slot", Unique: true}, {Field: "n"}}}}})
	put := func(id string, doc string, v int64) (*wuyepb.Record, error) {
		return f.PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: "c", Id: id, Document: []byte(doc), ExpectedVersion: v})
	}
	r, err := put("a", `{"slot":"s1","n":3}`, -1)
	if err != nil || r.Version != 1 {
		t.Fatal(r, err)
	}
	for _, tc := range []struct {
		id, doc string
		v       int64
		code    codes.Code
		detail  string
	}{
		{"a", `{}`, -1, codes.AlreadyExists, "already_exists"},
		{"b", `{"slot":"s1"}`, 0, codes.AlreadyExists, "duplicate"},
		{"a", `{}`, 5, codes.Aborted, "version_conflict"},
		{"z", `{}`, 1, codes.NotFound, "not_found"},
		{"a", `[1]`, 0, codes.InvalidArgument, "invalid_input"},
	} {
		_, err := put(tc.id, tc.doc, tc.v)
		if c, d := detailCode(err); c != tc.code || d != tc.detail {
			t.Errorf("%s %s %d: %v %s, want %v %s", tc.id, tc.doc, tc.v, c, d, tc.code, tc.detail)
		}
	}
	if r, err = put("a", `{"slot":"s1","n":4}`, 1); err != nil || r.Version != 2 {
		t.Fatal(r, err)
	}
	if _, err := f.PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: "nope", Document: []byte(`{}`)}); err == nil {
		t.Fatal("undeclared collection written")
	}
	for i := range 30 {
		if _, err := put(fmt.Sprintf("r%02d", i), fmt.Sprintf(`{"n":%d}`, i), 0); err != nil {
			t.Fatal(err)
		}
	}
	q := func(req *wuyepb.QueryRecordsRequest) []string {
		t.Helper()
		req.Collection = "c"
		var ids []string
		for {
			resp, err := f.QueryRecords(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range resp.Records {
				ids = append(ids, r.Id)
			}
			if resp.NextCursor == "" {
				return ids
			}
			req.Cursor = resp.NextCursor
		}
	}
	v := func(x any) []byte { b, _ := json.Marshal(x); return b }
	if ids := q(&wuyepb.QueryRecordsRequest{Filters: []*wuyepb.Filter{{Field: "n", Op: "gte", Value: v(28)}}, OrderBy: "n", Descending: true, Limit: 1}); fmt.Sprint(ids) != "[r29 r28]" {
		t.Errorf("gte desc: %v", ids)
	}
	if ids := q(&wuyepb.QueryRecordsRequest{Filters: []*wuyepb.Filter{{Field: "n", Op: "in", Value: v([]int{3, 4})}}, Limit: 1}); fmt.Sprint(ids) != "[a r03 r04]" {
		t.Errorf("in: %v", ids)
	}
	if ids := q(&wuyepb.QueryRecordsRequest{Filters: []*wuyepb.Filter{{Field: "id", Op: "prefix", Value: v("r1")}}, Limit: 3}); len(ids) != 10 {
		t.Errorf("prefix: %v", ids)
	}
	if ids := q(&wuyepb.QueryRecordsRequest{Filters: []*wuyepb.Filter{{Field: "slot", Op: "ne", Value: v("s1")}}}); len(ids) != 30 {
		t.Errorf("ne matches records without the field: %d", len(ids))
	}
	if ids := q(&wuyepb.QueryRecordsRequest{Filters: []*wuyepb.Filter{{Field: "n", Op: "lt", Value: v("x")}}}); len(ids) != 0 {
		t.Errorf("lt across types: %v", ids)
	}
	for _, bad := range []*wuyepb.QueryRecordsRequest{
		{Collection: "c", Filters: []*wuyepb.Filter{{Field: "other", Op: "eq", Value: v(1)}}},
		{Collection: "c", Filters: []*wuyepb.Filter{{Field: "n", Op: "like", Value: v(1)}}},
		{Collection: "c", Limit: 1001}, {Collection: "c", Cursor: "garbage"}, {Collection: "c", OrderBy: "other"},
	} {
		if _, err := f.QueryRecords(ctx, bad); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestConcurrentCreateOnlyHasOneWinner(t *testing.T) {
	f := NewFakeHost(&wuyepb.Manifest{Collections: []*wuyepb.Collection{{Name: "b", Indexes: []*wuyepb.IndexField{{Field: "slot", Unique: true}}}}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 50 {
		wg.Go(func() {
			_, err := f.PutRecord(context.Background(), &wuyepb.PutRecordRequest{Collection: "b", Document: []byte(`{"slot":"v1/09:00"}`)})
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d winners", won)
	}
}

func TestNotifyChargePublishIdempotency(t *testing.T) {
	ctx := context.Background()
	f := NewFakeHost(&wuyepb.Manifest{Name: "p", Templates: []*wuyepb.Template{{Code: "hi", TitleZh: "t", BodyZh: "b"}}})
	n := &wuyepb.NotifyRequest{Template: "hi", Recipients: []*wuyepb.Recipient{{ResidentId: ResidentLi}}, IdempotencyKey: "k"}
	for range 2 {
		if _, err := f.Notify(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Notify(ctx, &wuyepb.NotifyRequest{Template: "nope", Recipients: n.Recipients, IdempotencyKey: "k2"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("undeclared template: %v", err)
	}
	c := &wuyepb.PostChargeRequest{RoomId: Room102, AmountFen: 100, Description: "d", IdempotencyKey: "c"}
	c1, _ := f.PostCharge(ctx, c)
	c2, _ := f.PostCharge(ctx, c)
	if c1.Replayed || !c2.Replayed || c1.Id != c2.Id {
		t.Fatalf("charge replay: %v %v", c1, c2)
	}
	e1, _ := f.Publish(ctx, &wuyepb.PublishRequest{Type: "done", IdempotencyKey: "e"})
	e2, _ := f.Publish(ctx, &wuyepb.PublishRequest{Type: "done", IdempotencyKey: "e"})
	if len(f.Notifications()) != 1 || len(f.Charges()) != 1 || len(f.Published()) != 1 || e1.EventId != e2.EventId || f.Published()[0].Type != "p.done" {
		t.Fatalf("notifications %d charges %d published %v", len(f.Notifications()), len(f.Charges()), f.Published())
	}
}
