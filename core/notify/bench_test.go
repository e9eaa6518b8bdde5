package notify_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/notify"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// BenchmarkAnnouncement publishes one announcement to a community of
// WUYE_BENCH_ANN_RESIDENTS residents (default 50,000) on PostgreSQL: a fifth
// have no app account and get an SMS (through the real queue on Redis, to a
// local fake of Aliyun's API that checks every signature), the others an
// inbox entry. It times publishing (recipients, inbox rows, deliveries and
// their outbox tasks in one transaction) and the moment the last SMS is
// marked sent. Target: everything done ≤ 60 s.
func BenchmarkAnnouncement(b *testing.B) {
	n := 50_000
	if v, err := strconv.Atoi(os.Getenv("WUYE_BENCH_ANN_RESIDENTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	db := storetest.Postgres(b)
	tid, community := store.NewID(), store.NewID()
	members := make([]notify.Member, n)
	phones := 0
	for i := range members {
		members[i] = notify.Member{PersonID: store.NewID(), Name: fmt.Sprintf("住户%05d", i)}
		if i%5 == 0 {
			members[i].Phone = fmt.Sprintf("139%08d", i)
			phones++
		} else {
			members[i].UserID = store.NewID()
		}
	}
	aud := &audience{members: map[string][]notify.Member{"c" + community.String(): members}}
	fake := &aliyunFake{secret: "bench-secret"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	svc := newService(b, db, users{}, aud, notify.Options{HTTPClient: srv.Client()})
	if _, err := svc.PutSettings(ctx, tid, notify.Settings{SMS: notify.SMS{Provider: "aliyun", Endpoint: srv.URL + "/", AccessKeyID: "id",
		Secret: "bench-secret", SignName: "阳光物业", Templates: map[string]string{"announcement.published": "SMS_ANN"}}}); err != nil {
		b.Fatal(err)
	}
	cfg := queuetest.Config(b)
	cfg.Concurrency = 16
	q := queuetest.Open(b, db, cfg)
	q.Handle(notify.TaskDeliver, svc.HandleDeliver)
	if err := q.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		a, err := svc.CreateAnnouncement(ctx, tid, "bench", notify.AnnouncementInput{Title: "停水通知", Body: "明日 9:00–15:00 清洗水箱,暂停供水。",
			Audience: notify.AudienceCommunity, CommunityID: &community})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := svc.PublishAnnouncement(ctx, tid, a.ID); err != nil {
			b.Fatal(err)
		}
		published := time.Since(start)
		ev := "announcement:" + a.ID.String()
		for {
			var left int64
			err := db.InTenant(ctx, tid, func(tx *gorm.DB) error {
				return tx.Table("notify_deliveries").Where("tenant_id = ? AND event = ? AND status <> ?", tid, ev, notify.StatusSent).Count(&left).Error
			})
			if err != nil {
				b.Fatal(err)
			}
			if left == 0 {
				break
			}
			if time.Since(start) > 10*time.Minute {
				b.Fatalf("%d deliveries left after 10 minutes", left)
			}
			time.Sleep(100 * time.Millisecond)
		}
		done := time.Since(start)
		var inbox int64
		_ = db.InTenant(ctx, tid, func(tx *gorm.DB) error {
			return tx.Table("notify_inbox").Where("tenant_id = ? AND event = ?", tid, ev).Count(&inbox).Error
		})
		if int(inbox) != n-phones {
			b.Fatalf("%d inbox entries, want %d", inbox, n-phones)
		}
		b.ReportMetric(published.Seconds(), "publish_s")
		b.ReportMetric(done.Seconds(), "all_done_s")
		b.ReportMetric(float64(phones)/(done-published).Seconds(), "sms/s")
	}
	fake.mu.Lock()
	sent := len(fake.sent)
	fake.mu.Unlock()
	if sent != phones*b.N {
		b.Fatalf("the provider got %d SMS, want %d (once each)", sent, phones*b.N)
	}
}
