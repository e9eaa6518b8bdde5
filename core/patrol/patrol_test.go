package patrol_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/patrol"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

type staff struct{ guards, managers []uuid.UUID }

func (s staff) IsGuard(_ context.Context, _ uuid.UUID, id uuid.UUID) (bool, error) {
	for _, g := range s.guards {
		if g == id {
			return true, nil
		}
	}
	return false, nil
}
func (s staff) Guards(context.Context, uuid.UUID) ([]uuid.UUID, error)   { return s.guards, nil }
func (s staff) Managers(context.Context, uuid.UUID) ([]uuid.UUID, error) { return s.managers, nil }

type places struct{ community, area uuid.UUID }

func (p places) CommunityExists(_ context.Context, _ uuid.UUID, id uuid.UUID) (bool, error) {
	return id == p.community, nil
}
func (p places) LocationIn(_ context.Context, _ uuid.UUID, c uuid.UUID, kind string, id uuid.UUID) (bool, error) {
	return c == p.community && kind == patrol.LocCommonArea && id == p.area, nil
}

// recorder is a Notifier that keeps what it was asked to send.
type recorder struct {
	mu      sync.Mutex
	notices []patrol.Notice
}

func (r *recorder) Notify(_ context.Context, _ uuid.UUID, n patrol.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, n)
	return nil
}

func shanghai(context.Context, uuid.UUID) *time.Location {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return loc
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

func fieldCodes(err error) map[string]string {
	out := map[string]string{}
	if e, ok := apperr.As(err); ok {
		fe, _ := e.Details.([]apperr.FieldError)
		for _, f := range fe {
			out[f.Field] = f.Code
		}
	}
	return out
}

func TestPatrolRounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loc, _ := time.LoadLocation("Asia/Shanghai")
		// 21:00 Shanghai on a Monday: tonight's 22:00 round is planned, not open.
		now := time.Date(2026, 3, 2, 21, 0, 0, 0, loc)
		clock := func() time.Time { return now }
		tid, other := store.NewID(), store.NewID()
		guard, stranger, manager := store.NewID(), store.NewID(), store.NewID()
		pl := places{community: store.NewID(), area: store.NewID()}
		rec := &recorder{}
		s, err := patrol.New(db, staff{guards: []uuid.UUID{guard}, managers: []uuid.UUID{manager}}, pl, rec, shanghai, patrol.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		gctx := actor.With(ctx, actor.Actor{Kind: actor.User, ID: guard, Name: "guard1", TenantID: tid})

		// Every bad field at once, nothing written.
		_, err = s.CreateRoute(ctx, tid, patrol.RouteInput{CommunityID: store.NewID(), Times: []string{"25:00"}, Weekdays: []int{7},
			WindowMinutes: 1, GuardIDs: []uuid.UUID{stranger}, Checkpoints: []patrol.CheckpointInput{{Name: "x", LocationKind: patrol.LocBuilding, LocationID: &pl.area}}})
		fc := fieldCodes(err)
		for f, c := range map[string]string{"name": "required", "community_id": "unknown_community", "times[0]": "invalid_time", "weekdays[0]": "out_of_range",
			"window_minutes": "out_of_range", "guard_ids[0]": "not_a_guard", "checkpoints[0].location_id": "unknown_location"} {
			if fc[f] != c {
				t.Errorf("field %s: %q, want %q (%v)", f, fc[f], c, err)
			}
		}
		names := []string{"大门", "会所", "1栋大堂", "水泵房", "地下车库"}
		in := patrol.RouteInput{CommunityID: pl.community, Name: "夜间巡更", Times: []string{"22:00", "02:00"}, WindowMinutes: 60, LateMinutes: 15, GuardIDs: []uuid.UUID{guard}}
		for i, n := range names {
			c := patrol.CheckpointInput{Name: n, LocationText: n}
			if i == 1 {
				c = patrol.CheckpointInput{Name: n, LocationKind: patrol.LocCommonArea, LocationID: &pl.area}
			}
			in.Checkpoints = append(in.Checkpoints, c)
		}
		r, err := s.CreateRoute(ctx, tid, in)
		if err != nil || len(r.Checkpoints) != 5 || r.Checkpoints[4].Position != 5 {
			t.Fatalf("create: %+v %v", r, err)
		}
		// Planned on creation for the next day: 22:00 today and 02:00 tomorrow.
		rounds, total, err := s.ListRounds(ctx, tid, patrol.RoundFilter{RouteID: r.ID.String()}, paging.Paging{Order: "slot_start"})
		if err != nil || total != 2 || !rounds[0].SlotStart.Equal(time.Date(2026, 3, 2, 22, 0, 0, 0, loc)) {
			t.Fatalf("planned: %d %+v %v", total, rounds, err)
		}
		// Planning again is a no-op (one round per route and slot).
		if planned, _, err := s.Tick(ctx, tid); err != nil || planned != 0 {
			t.Fatalf("second plan: %d %v", planned, err)
		}
		rd := rounds[0]
		full, _ := s.GetRoute(ctx, tid, r.ID)
		token := func(i int) string {
			// The token is in no JSON answer; the QR code carries it.
			return tokenOf(t, db, tid, full.Checkpoints[i].ID)
		}

		// Not started yet.
		if _, _, err := s.Checkin(gctx, tid, rd.ID, patrol.CheckinInput{Token: token(0)}); code(err) != "round_not_open" {
			t.Fatalf("early: %v", err)
		}
		now = time.Date(2026, 3, 2, 22, 10, 0, 0, loc)
		// Unknown token; another tenant's round; someone not assigned.
		if _, _, err := s.Checkin(gctx, tid, rd.ID, patrol.CheckinInput{Token: "nope"}); code(err) != "unknown_checkpoint" {
			t.Fatalf("unknown token: %v", err)
		}
		if _, _, err := s.Checkin(gctx, other, rd.ID, patrol.CheckinInput{Token: token(0)}); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant: %v", err)
		}
		sctx := actor.With(ctx, actor.Actor{Kind: actor.User, ID: stranger, Name: "x", TenantID: tid})
		if _, _, err := s.Checkin(sctx, tid, rd.ID, patrol.CheckinInput{Token: token(0)}); code(err) != "not_assigned_guard" {
			t.Fatalf("stranger: %v", err)
		}
		// A point of another route.
		in2 := in
		in2.Name, in2.Times, in2.Checkpoints = "白天巡更", []string{"08:00"}, []patrol.CheckpointInput{{Name: "东门"}}
		r2, err := s.CreateRoute(ctx, tid, in2)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Checkin(gctx, tid, rd.ID, patrol.CheckinInput{Token: tokenOf(t, db, tid, r2.Checkpoints[0].ID)}); code(err) != "checkpoint_not_on_route" {
			t.Fatalf("other route: %v", err)
		}

		// Check in at 1 and 3, then 2 (out of order), 2 again (idempotent).
		p1, created, err := s.Checkin(gctx, tid, rd.ID, patrol.CheckinInput{Token: patrol.QRPrefix + token(0)})
		if err != nil || !created || p1.CheckedAt == nil || p1.Late || p1.OutOfOrder {
			t.Fatalf("checkin 1: %+v %v", p1, err)
		}
		now = now.Add(5 * time.Minute)
		if _, _, err := s.Checkin(gctx, tid, rd.ID, patrol.CheckinInput{Token: token(2)}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(5 * time.Minute)
		p2, _, err := s.Checkin(gctx, tid, rd.ID, patrol.CheckinInput{Token: token(1), Abnormal: true, Note: "会所门未锁"})
		if err != nil || !p2.OutOfOrder || !p2.Abnormal {
			t.Fatalf("checkin 2: %+v %v", p2, err)
		}
		now = now.Add(time.Minute)
		again, created, err := s.Checkin(gctx, tid, rd.ID, patrol.CheckinInput{Token: token(1)})
		if err != nil || created || !again.CheckedAt.Equal(*p2.CheckedAt) {
			t.Fatalf("second scan: %+v %v %v", again, created, err)
		}
		// After the window, within the grace: late.
		now = time.Date(2026, 3, 2, 23, 5, 0, 0, loc)
		p4, _, err := s.Checkin(gctx, tid, rd.ID, patrol.CheckinInput{Token: token(3)})
		if err != nil || !p4.Late {
			t.Fatalf("late: %+v %v", p4, err)
		}
		// Past the grace: closed.
		now = time.Date(2026, 3, 2, 23, 16, 0, 0, loc)
		if _, _, err := s.Checkin(gctx, tid, rd.ID, patrol.CheckinInput{Token: token(4)}); code(err) != "round_closed" {
			t.Fatalf("closed: %v", err)
		}
		// The tick closes it: the last point missed, the manager told once.
		if _, closed, err := s.Tick(ctx, tid); err != nil || closed != 1 {
			t.Fatalf("close: %d %v", closed, err)
		}
		if _, closed, _ := s.Tick(ctx, tid); closed != 0 {
			t.Fatalf("closed twice")
		}
		got, err := s.GetRound(ctx, tid, rd.ID)
		if err != nil || got.Status != patrol.StatusIncomplete || got.PointsMissed != 1 || got.PointsChecked != 4 || got.PointsLate != 1 || !got.Points[4].Missed || got.GuardName != "guard1" {
			t.Fatalf("round: %+v %v", got, err)
		}
		if len(rec.notices) != 1 || rec.notices[0].Template != "patrol.missed" || rec.notices[0].UserIDs[0] != manager || rec.notices[0].Vars["points"] != "地下车库" {
			t.Fatalf("notices: %+v", rec.notices)
		}
		ex, n, err := s.ListExceptions(ctx, tid, patrol.RoundFilter{From: "2026-03-02", To: "2026-03-02"}, paging.Paging{Limit: 20})
		if err != nil || n != 1 || ex[0].Name != "地下车库" || ex[0].RouteName != "夜间巡更" {
			t.Fatalf("exceptions: %d %+v %v", n, ex, err)
		}
		sum, err := s.Summary(ctx, tid, patrol.RoundFilter{})
		if err != nil || len(sum) != 1 || sum[0].Incomplete != 1 || sum[0].Missed != 1 || sum[0].Late != 1 || sum[0].GuardID == nil || *sum[0].GuardID != guard {
			t.Fatalf("summary: %+v %v", sum, err)
		}
		if _, n, _ := s.ListExceptions(ctx, other, patrol.RoundFilter{}, paging.Paging{}); n != 0 {
			t.Fatal("another tenant sees exceptions")
		}

		// Rotating a token retires the printed code; the QR renders the new one.
		old := token(0)
		if _, err := s.RotateToken(ctx, tid, full.Checkpoints[0].ID); err != nil || token(0) == old {
			t.Fatalf("rotate: %v", err)
		}
		img, err := s.QRCode(ctx, tid, full.Checkpoints[0].ID, 256)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(img)); err != nil {
			t.Fatalf("qr png: %v", err)
		}
		if _, err := s.QRCode(ctx, other, full.Checkpoints[0].ID, 256); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant's qr: %v", err)
		}
	})
}

func tokenOf(t *testing.T, db *store.DB, tid, id uuid.UUID) string {
	t.Helper()
	var cp patrol.Checkpoint
	if err := db.InTenant(context.Background(), tid, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ? AND id = ?", tid, id).Take(&cp).Error
	}); err != nil {
		t.Fatal(err)
	}
	return cp.Token
}

// TestPatrolPhotoDownload: a check-in photo reads back byte for byte through
// its round only; another round's or another tenant's lookup finds nothing.
func TestPatrolPhotoDownload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loc, _ := time.LoadLocation("Asia/Shanghai")
		now := time.Date(2026, 3, 2, 22, 5, 0, 0, loc)
		tid, other := store.NewID(), store.NewID()
		guard := store.NewID()
		pl := places{community: store.NewID(), area: store.NewID()}
		s, err := patrol.New(db, staff{guards: []uuid.UUID{guard}}, pl, &recorder{}, shanghai, patrol.WithClock(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		gctx := actor.With(ctx, actor.Actor{Kind: actor.User, ID: guard, Name: "guard1", TenantID: tid})
		r, err := s.CreateRoute(ctx, tid, patrol.RouteInput{CommunityID: pl.community, Name: "夜巡", Times: []string{"22:00", "02:00"},
			WindowMinutes: 60, GuardIDs: []uuid.UUID{guard}, Checkpoints: []patrol.CheckpointInput{{Name: "大门"}}})
		if err != nil {
			t.Fatal(err)
		}
		rounds, _, err := s.ListRounds(ctx, tid, patrol.RoundFilter{RouteID: r.ID.String()}, paging.Paging{Order: "slot_start"})
		if err != nil || len(rounds) < 2 {
			t.Fatalf("rounds: %+v %v", rounds, err)
		}
		var img bytes.Buffer
		if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
			t.Fatal(err)
		}
		f, err := attachment.Read("gate.png", bytes.NewReader(img.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.AddPhoto(gctx, tid, rounds[0].ID, f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Photo(ctx, tid, rounds[0].ID, a.ID)
		if err != nil || got.ContentType != "image/png" {
			t.Fatalf("photo: %+v %v", got, err)
		}
		var out bytes.Buffer
		if err := s.CopyPhoto(ctx, &out, tid, got); err != nil || !bytes.Equal(out.Bytes(), img.Bytes()) {
			t.Fatalf("copy: %d bytes, %v", out.Len(), err)
		}
		if _, err := s.Photo(ctx, tid, rounds[1].ID, a.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("through another round: %v", err)
		}
		if _, err := s.Photo(ctx, other, rounds[0].ID, a.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("another tenant: %v", err)
		}
		if err := s.CopyPhoto(ctx, &out, tid, attachment.Attachment{ID: a.ID, OwnerKind: "work_order"}); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("another owner's file: %v", err)
		}
	})
}
