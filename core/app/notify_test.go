package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/notify"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// TestBillingNoticesGoOut: on the demo company, forcing this week's overdue
// reminders and this month's bill notices sends each room's payers a
// bill.overdue / bill.issued message (SMS to residents without an app
// account, once the tenant has an SMS provider), once however often it
// runs; and the demo's published announcement reached its community.
func TestBillingNoticesGoOut(t *testing.T) {
	cfg := testConfig(t, store.SQLite)
	cfg.NoSeed = false
	ctx := context.Background()
	a, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	tn, err := a.Tenants.Get(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Notify.PutSettings(ctx, tn.ID, notify.Settings{SMS: notify.SMS{Provider: "aliyun", AccessKeyID: "id", Secret: "s", SignName: "阳光物业",
		Endpoint: "http://127.0.0.1:1/"}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := a.Finance.RemindOverdue(ctx, tn.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Finance.NoticeBills(ctx, tn.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	for _, tpl := range []string{"bill.overdue", "bill.issued"} {
		ds, total, err := a.Notify.Deliveries(ctx, tn.ID, notify.DeliveryFilter{Template: tpl}, paging.Paging{Limit: 200})
		if err != nil || total == 0 {
			t.Fatalf("%s: no deliveries (%v)", tpl, err)
		}
		events := map[string]bool{}
		for _, d := range ds {
			if d.Channel != notify.ChannelSMS || !strings.Contains(d.Address, "*") {
				t.Fatalf("%s: %+v", tpl, d)
			}
			if events[d.Event+d.Recipient] {
				t.Fatalf("%s: %s sent twice to one recipient", tpl, d.Event)
			}
			events[d.Event+d.Recipient] = true
			if want := map[string]string{"bill.overdue": "reminder:", "bill.issued": "notice:"}[tpl]; !strings.HasPrefix(d.Event, want) {
				t.Fatalf("event %q of %s", d.Event, tpl)
			}
		}
	}
	as, _, err := a.Notify.ListAnnouncements(ctx, tn.ID, notify.AnnouncementFilter{Status: notify.AnnPublished}, paging.Paging{Limit: 10})
	if err != nil || len(as) != 1 || as[0].Recipients == 0 || as[0].Read == 0 || as[0].Read >= int64(as[0].Recipients) {
		t.Fatalf("demo announcement: %+v %v", as, err)
	}
}
