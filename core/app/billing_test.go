package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/tenant"
)

// callKey is call with an Idempotency-Key.
func (r *running) callKey(t testing.TB, token, method, path, key string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, r.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out, res.Header
}

// TestBillingOverHTTP walks the money routes of the wired server on
// Postgres: a payment needs an Idempotency-Key and the same key pays once;
// its ledger entries, its idempotency record and its audit entry were
// written by one transaction (they share the inserting transaction id,
// xmin); receipts print; refunds need a second person; bill runs run as jobs.
func TestBillingOverHTTP(t *testing.T) {
	r := start(t, store.Postgres)
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})
	m, err := tenant.LoadManifest("../../tenants/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	res, err := r.Tenants.Apply(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo tenant applied in %v", time.Since(began))
	fin := r.login(t, "demo", "finance", password(res, "finance"))
	admin := r.login(t, "demo", "admin", password(res, "admin"))

	st, body := r.call(t, fin, "GET", "/api/v1/bills?unpaid=true&sort=period&page_size=1", nil)
	if st != 200 || len(body["items"].([]any)) != 1 {
		t.Fatalf("unpaid bills: %d %v", st, body)
	}
	bill := body["items"].([]any)[0].(map[string]any)
	pay := map[string]any{"bill_ids": []string{bill["id"].(string)}, "amount": bill["outstanding"], "channel": "cash", "payer": "王五"}

	if st, body, _ := r.callKey(t, fin, "POST", "/api/v1/payments", "", pay); st != 400 || errCode(body) != "idempotency_key_required" {
		t.Fatalf("without a key: %d %v", st, body)
	}
	st, p1, _ := r.callKey(t, fin, "POST", "/api/v1/payments", "pay-1", pay)
	if st != 201 {
		t.Fatalf("pay: %d %v", st, p1)
	}
	st, p2, h := r.callKey(t, fin, "POST", "/api/v1/payments", "pay-1", pay)
	if st != 201 || p2["id"] != p1["id"] || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v %v", st, p2, h)
	}
	if st, body, _ := r.callKey(t, fin, "POST", "/api/v1/payments", "pay-2", pay); st != 409 || errCode(body) != "bill_already_paid" {
		t.Fatalf("paying again: %d %v", st, body)
	}
	if n := countRows(t, r, "SELECT count(*) FROM payments WHERE tenant_id = ? AND payer = '王五'", res.Tenant.ID); n != 1 {
		t.Fatalf("payments of 王五: %d", n)
	}

	// Prepayment (预缴): the demo's property fee takes 5 % off 12 months
	// paid ahead; bad months are refused; the same key pays once.
	roomPath := "/api/v1/rooms/" + bill["room_id"].(string)
	if st, body := r.call(t, fin, "GET", roomPath+"/prepay-quote?months=0", nil); st != 400 || errCode(body) != "invalid_months" {
		t.Fatalf("0 months: %d %v", st, body)
	}
	st, quote := r.call(t, fin, "GET", roomPath+"/prepay-quote?months=12", nil)
	if st != 200 || quote["discount"].(float64) <= 0 || quote["total"].(float64) != quote["gross"].(float64)-quote["discount"].(float64) {
		t.Fatalf("quote: %d %v", st, quote)
	}
	prepay := map[string]any{"months": 12, "channel": "cash", "payer": "钱七"}
	st, pp1, _ := r.callKey(t, fin, "POST", roomPath+"/prepay", "prepay-1", prepay)
	if st != 201 || pp1["payment"].(map[string]any)["amount"] != quote["total"] {
		t.Fatalf("prepay: %d %v", st, pp1)
	}
	st, pp2, h2 := r.callKey(t, fin, "POST", roomPath+"/prepay", "prepay-1", prepay)
	if st != 201 || pp2["payment"].(map[string]any)["id"] != pp1["payment"].(map[string]any)["id"] || h2.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("prepay replay: %d %v %v", st, pp2, h2)
	}
	if n := countRows(t, r, "SELECT count(*) FROM payments WHERE tenant_id = ? AND payer = '钱七'", res.Tenant.ID); n != 1 {
		t.Fatalf("prepayments of 钱七: %d", n)
	}

	// One transaction: with the audit insert failing (a trigger, as the
	// owner), the payment answers 500 and leaves no payment, ledger entry,
	// receipt number or idempotency record; the same key then pays once.
	owner, err := pgx.Connect(ctx, r.Config.MigrateURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	if _, err := owner.Exec(ctx, `CREATE FUNCTION test_audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$;
		CREATE TRIGGER test_audit_down BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_audit_down()`); err != nil {
		t.Fatal(err)
	}
	st, body = r.call(t, fin, "GET", "/api/v1/bills?unpaid=true&sort=period&page_size=1", nil)
	bill2 := body["items"].([]any)[0].(map[string]any)
	pay2 := map[string]any{"bill_ids": []string{bill2["id"].(string)}, "amount": bill2["outstanding"], "channel": "pos", "payer": "赵六"}
	const counts = `SELECT (SELECT count(*) FROM payments WHERE tenant_id = ?) + (SELECT count(*) FROM ledger_entries WHERE tenant_id = ?)
		+ (SELECT count(*) FROM idempotency_keys WHERE tenant_id = ?) + (SELECT COALESCE(SUM(last), 0) FROM receipt_counters WHERE tenant_id = ?)`
	id := res.Tenant.ID
	before := countRows(t, r, counts, id, id, id, id)
	if st, body, _ := r.callKey(t, fin, "POST", "/api/v1/payments", "pay-3", pay2); st != 500 {
		t.Fatalf("payment with the audit log down: %d %v", st, body)
	}
	if after := countRows(t, r, counts, id, id, id, id); after != before {
		t.Fatalf("a payment whose audit entry failed left rows: %d -> %d", before, after)
	}
	if _, err := owner.Exec(ctx, `DROP TRIGGER test_audit_down ON audit_log; DROP FUNCTION test_audit_down()`); err != nil {
		t.Fatal(err)
	}
	if st, body, _ := r.callKey(t, fin, "POST", "/api/v1/payments", "pay-3", pay2); st != 201 {
		t.Fatalf("retry: %d %v", st, body)
	}
	if n := countRows(t, r, "SELECT count(*) FROM payments WHERE tenant_id = ? AND payer = '赵六'", id); n != 1 {
		t.Fatalf("payments of 赵六 after the retry: %d", n)
	}

	// The receipt prints as HTML with its number.
	req, _ := http.NewRequest("GET", r.base+"/api/v1/receipts/"+p1["id"].(string)+"/print", nil)
	req.Header.Set("Authorization", "Bearer "+fin)
	hres, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(hres.Body)
	hres.Body.Close()
	if hres.StatusCode != 200 || !strings.HasPrefix(hres.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), p1["receipt_no"].(string)) {
		t.Fatalf("receipt: %d %s", hres.StatusCode, page)
	}

	// A refund: finance asks, finance may not approve it, the admin may.
	st, ref, _ := r.callKey(t, fin, "POST", "/api/v1/payments/"+p1["id"].(string)+"/refunds", "ref-1", map[string]any{"amount": 100, "reason": "多收"})
	if st != 201 {
		t.Fatalf("refund request: %d %v", st, ref)
	}
	if st, body, _ := r.callKey(t, fin, "POST", "/api/v1/refunds/"+ref["id"].(string)+"/approve", "ap-1", nil); st != 403 || errCode(body) != "refund_needs_second_person" {
		t.Fatalf("self-approval: %d %v", st, body)
	}
	if st, body, _ := r.callKey(t, admin, "POST", "/api/v1/refunds/"+ref["id"].(string)+"/approve", "ap-2", nil); st != 200 || body["status"] != "approved" {
		t.Fatalf("approval: %d %v", st, body)
	}

	// Next month's run as a job; the month after is not open.
	next := time.Now().In(r.Tenants.Location(ctx, res.Tenant.ID)).AddDate(0, 1, 0)
	next = time.Date(next.Year(), next.Month(), 1, 0, 0, 0, 0, time.UTC)
	var community string
	r.DB.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Raw("SELECT CAST(id AS TEXT) FROM communities WHERE tenant_id = ?", res.Tenant.ID).Scan(&community).Error
	})
	if st, body := r.call(t, admin, "POST", "/api/v1/bill-runs", map[string]any{"community_id": community, "period": next.AddDate(0, 1, 0).Format("2006-01")}); st != 400 || errCode(body) != "period_not_open" {
		t.Fatalf("future run: %d %v", st, body)
	}
	// Next month bills this month's shared electricity: without the common
	// meter's reading every room would wait. Rooms with meters of their own
	// still wait for theirs; the rest are billed.
	var common string
	r.DB.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Raw("SELECT CAST(id AS TEXT) FROM meters WHERE tenant_id = ? AND room_id IS NULL", res.Tenant.ID).Scan(&common).Error
	})
	this := next.AddDate(0, -1, 0).Format("2006-01")
	if st, body, _ := r.callKey(t, admin, "POST", "/api/v1/meters/"+common+"/readings", "rd-1", map[string]any{"period": this, "read_on": next.AddDate(0, 0, -1).Format("2006-01-02"), "value": "99999"}); st != 201 {
		t.Fatalf("common reading: %d %v", st, body)
	}
	st, pv := r.call(t, admin, "POST", "/api/v1/bill-runs/preview", map[string]any{"community_id": community, "period": next.Format("2006-01")})
	if st != 200 || pv["bills"].(float64) < 100 || pv["rooms_skipped"].(float64) < 1 {
		t.Fatalf("preview: %d %v", st, pv)
	}
	st, run := r.call(t, admin, "POST", "/api/v1/bill-runs", map[string]any{"community_id": community, "period": next.Format("2006-01")})
	if st != 202 {
		t.Fatalf("run: %d %v", st, run)
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		_, job := r.call(t, admin, "GET", "/api/v1/jobs/"+run["job_id"].(string), nil)
		if job["state"] == "succeeded" {
			break
		}
		if job["state"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("run job %v", job)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, got := r.call(t, admin, "GET", "/api/v1/bill-runs/"+run["id"].(string), nil)
	if got["status"] != "done" || got["bills"] != pv["bills"] || got["amount"] != pv["amount"] {
		t.Fatalf("run after its job: %v", got)
	}
	_, file := r.call(t, admin, "GET", "/api/v1/rooms/"+bill["room_id"].(string)+"/file", nil)
	if _, ok := file["sections"].(map[string]any)["balance"]; !ok {
		t.Fatalf("room file without balance: %v", file)
	}

	// The books on the demo: this year's report has income from the ledger
	// and the demo's expenses; the rooms in arrears get this week's reminder
	// once, however often it is asked for.
	_, rep := r.call(t, fin, "GET", "/api/v1/finance/report", nil)
	total, _ := rep["total"].(map[string]any)
	if total == nil || total["income"].(float64) <= 0 || total["expenses"].(float64) <= 0 || total["collection_rate"] == "" || len(rep["income_by_channel"].([]any)) < 2 {
		t.Fatalf("finance report: %v", rep)
	}
	if st, body := r.call(t, fin, "GET", "/api/v1/finance/report?year=1999", nil); st != 400 || errCode(body) != "invalid_year" {
		t.Fatalf("report of 1999: %d %v", st, body)
	}
	_, first := r.call(t, admin, "POST", "/api/v1/collection-reminders", nil)
	_, again := r.call(t, admin, "POST", "/api/v1/collection-reminders", nil)
	if first["recorded"].(float64) < 3 || again["recorded"].(float64) != 0 {
		t.Fatalf("reminders: %v then %v", first, again)
	}
	if st, body := r.call(t, fin, "GET", "/api/v1/collection-actions?kind=reminder", nil); st != 200 || body["total"] != first["recorded"] {
		t.Fatalf("collection log: %d %v", st, body)
	}
}

func countRows(t *testing.T, r *running, q string, args ...any) (n int64) {
	t.Helper()
	err := r.DB.Platform(context.Background(), func(tx *gorm.DB) error { return tx.Raw(q, args...).Scan(&n).Error })
	if err != nil {
		t.Fatal(err)
	}
	return n
}
