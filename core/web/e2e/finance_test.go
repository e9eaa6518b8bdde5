package e2e_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestFinanceRefundNeedsSecondPerson: finance asks for a refund of a counter
// payment (too much first: the API's refusal shows in the form); the queue
// will not let them approve their own request; the admin approves it and the
// API says it is approved.
func TestFinanceRefundNeedsSecondPerson(t *testing.T) {
	payer := fmt.Sprintf("退款测试%d", time.Now().UnixNano()%1_000_000)
	room := financeFirstRoom(t)
	var pay struct {
		ID     string `json:"id"`
		Amount int64  `json:"amount"`
	}
	financeAPI(t, "finance", "POST", "/api/v1/payments", map[string]any{
		"room_id": room, "amount": 12000, "channel": "cash", "payer": payer, "prepay": true, "note": "e2e",
	}, 201, &pay)

	b := newBrowser(t, 1366, 860, false)
	b.expect(400, "/refunds") // the first request asks for more than was paid
	b.signIn("finance")
	b.run(chromedp.Navigate(server.base+"/console/finance/payments?room_id="+room), chromedp.WaitVisible(css(`[data-test=refund-`+pay.ID+`]`)))
	b.waitText(`[data-test=payments-table]`, payer)
	b.waitText(`[data-test=side-menu]`, "财务")
	b.shot("payments")
	b.clickFor(`[data-test=refund-`+pay.ID+`]`, `input[name=amount]`)
	if v := b.value(`input[name=amount]`); v != "120.00" {
		t.Fatalf("refundable amount offered %q", v)
	}
	financeRetype(b, `input[name=amount]`, "500")
	b.run(
		chromedp.SendKeys(css(`textarea[name=reason]`), "重复缴费"),
		chromedp.Click(css(`[data-test=refund-submit]`)),
	)
	b.waitText(`[data-test=form-error]`, "超过")
	b.shot("refund-too-much")
	financeRetype(b, `input[name=amount]`, "50.5")
	b.run(
		chromedp.Click(css(`[data-test=refund-submit]`)),
		chromedp.WaitNotVisible(css(`input[name=amount]`)),
	)
	b.waitText(`.el-message`, "¥50.50")

	var refunds struct {
		Items []struct {
			ID     string `json:"id"`
			Amount int64  `json:"amount"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"items"`
	}
	financeAPI(t, "finance", "GET", "/api/v1/refunds?payment_id="+pay.ID, nil, 200, &refunds)
	if len(refunds.Items) != 1 || refunds.Items[0].Amount != 5050 || refunds.Items[0].Status != "requested" || refunds.Items[0].Reason != "重复缴费" {
		t.Fatalf("refunds of the payment: %+v", refunds.Items)
	}
	rid := refunds.Items[0].ID

	// The requester sees it in the queue but cannot approve it.
	b.run(chromedp.Navigate(server.base+"/console/finance/refunds"), chromedp.WaitVisible(css(`[data-test=own-`+rid+`]`)))
	if n := b.count(`[data-test=approve-` + rid + `]`); n != 0 {
		t.Fatalf("the requester is offered approval (%d buttons)", n)
	}
	b.waitText(`[data-test=refunds-table]`, payer)
	b.shot("refunds-own")

	// The admin approves it.
	a := newBrowser(t, 1366, 860, false)
	a.signIn("admin")
	a.run(chromedp.Navigate(server.base+"/console/finance/refunds"), chromedp.WaitVisible(css(`[data-test=approve-`+rid+`]`)))
	a.waitText(`[data-test=refunds-table]`, "¥50.50")
	a.waitText(`[data-test=refunds-table]`, payer)
	time.Sleep(600 * time.Millisecond) // the loading mask fades
	a.shot("refunds-queue")
	a.clickFor(`[data-test=approve-`+rid+`]`, `.el-popconfirm`)
	a.run(chromedp.Click(css(`.el-popconfirm .el-button--primary`)))
	a.waitText(`.el-message`, "已批准退款 ¥50.50")
	var got struct {
		Status    string  `json:"status"`
		DecidedBy *string `json:"decided_by"`
	}
	financeAPI(t, "admin", "GET", "/api/v1/refunds/"+rid, nil, 200, &got)
	if got.Status != "approved" || got.DecidedBy == nil {
		t.Fatalf("refund after approval: %+v", got)
	}
	var view struct {
		Refunded int64 `json:"refunded"`
	}
	financeAPI(t, "admin", "GET", "/api/v1/payments/"+pay.ID, nil, 200, &view)
	if view.Refunded != 5050 {
		t.Fatalf("payment refunded %d, want 5050", view.Refunded)
	}
	a.run(chromedp.Click(css(`[data-test=status-approved]`)))
	a.waitText(`[data-test=state-`+rid+`]`, "已退款")
	a.shot("refund-approved")
}

// TestFinanceCollectionStep: finance narrows the arrears to the oldest age
// bucket, records a visit with a promise to pay on a room there (the promised
// day missing first: the API's error shows next to the field), and finds it in
// the room's collection log and in the API.
func TestFinanceCollectionStep(t *testing.T) {
	var aging struct {
		Items []struct {
			Key     string `json:"key"`
			Name    string `json:"name"`
			Over180 int64  `json:"over_180"`
		} `json:"items"`
	}
	financeAPI(t, "finance", "GET", "/api/v1/billing/aging?group_by=room&bucket=over_180", nil, 200, &aging)
	if len(aging.Items) == 0 || aging.Items[0].Name == "" || aging.Items[0].Over180 <= 0 {
		t.Fatalf("demo rooms owing over 180 days: %+v", aging.Items)
	}
	room := aging.Items[0]
	// The filters over HTTP: the room's building and community keep it, another building has nothing.
	var place struct {
		BuildingID  string `json:"building_id"`
		CommunityID string `json:"community_id"`
	}
	financeAPI(t, "finance", "GET", "/api/v1/rooms/"+room.Key, nil, 200, &place)
	var narrowed struct {
		Items []struct {
			Key string `json:"key"`
		} `json:"items"`
	}
	financeAPI(t, "finance", "GET", "/api/v1/billing/aging?group_by=room&bucket=over_180&community_id="+place.CommunityID+"&building_id="+place.BuildingID, nil, 200, &narrowed)
	if len(narrowed.Items) == 0 || len(narrowed.Items) > len(aging.Items) || !strings.Contains(fmt.Sprint(narrowed.Items), room.Key) {
		t.Fatalf("aging of the room's building: %+v", narrowed.Items)
	}
	financeAPI(t, "finance", "GET", "/api/v1/billing/aging?group_by=room&building_id=00000000-0000-4000-8000-000000000001", nil, 200, &narrowed)
	if len(narrowed.Items) != 0 {
		t.Fatalf("aging of an unknown building: %+v", narrowed.Items)
	}
	financeAPI(t, "finance", "GET", "/api/v1/billing/aging?group_by=room&bucket=ancient", nil, 400, nil)
	note := fmt.Sprintf("上门沟通 %d", time.Now().UnixNano()%1_000_000)

	b := newBrowser(t, 1366, 860, false)
	b.expect(400, "/api/v1/collection-actions")
	b.signIn("finance")
	b.run(chromedp.Navigate(server.base+"/console/finance/arrears"), chromedp.WaitVisible(css(`[data-test=arrears-table] .el-table__row`)))
	all := b.count(`[data-test=arrears-table] .el-table__row`)
	b.shot("arrears")
	financePick(b, `[data-test=filter-bucket]`, "180 天以上")
	b.run(chromedp.WaitVisible(css(`[data-test=collect-` + room.Key + `]`)))
	b.waitText(`[data-test=pager]`, fmt.Sprint(len(aging.Items)))
	deadline := time.Now().Add(20 * time.Second)
	for b.count(`[data-test=arrears-table] .el-table__row`) != len(aging.Items) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := b.count(`[data-test=arrears-table] .el-table__row`); n != len(aging.Items) || n > all {
		t.Fatalf("over 180 days: %d rows, the API has %d (all: %d)", n, len(aging.Items), all)
	}
	b.waitText(`[data-test=arrears-table]`, room.Name)
	time.Sleep(600 * time.Millisecond) // the loading mask fades
	b.shot("arrears-over-180")

	b.clickFor(`[data-test=collect-`+room.Key+`]`, `textarea[name=note]`)
	b.run(chromedp.Click(css(`[data-test=kind-visit]`)))
	financePick(b, `[data-test=field-outcome]`, "承诺缴费")
	b.run(chromedp.SendKeys(css(`textarea[name=note]`), note), chromedp.Click(css(`[data-test=action-submit]`)))
	b.waitText(`[data-test=item-promised] .el-form-item__error`, "承诺缴费需填写承诺日期")
	b.shot("collection-field-error")
	promised := time.Now().AddDate(0, 0, 7).Format("2006-01-02")
	b.run(
		chromedp.Click(css(`[data-test=item-promised] input`)),
		chromedp.SendKeys(css(`[data-test=item-promised] input`), promised+"\r"),
		chromedp.Click(css(`.el-dialog__title`)),
		chromedp.Click(css(`[data-test=action-submit]`)),
		chromedp.WaitNotVisible(css(`textarea[name=note]`)),
	)
	b.waitText(`.el-message`, "已记录催缴")

	var actions struct {
		Items []struct {
			Kind       string  `json:"kind"`
			Outcome    string  `json:"outcome"`
			Note       string  `json:"note"`
			PromisedOn *string `json:"promised_on"`
			DueAmount  int64   `json:"due_amount"`
		} `json:"items"`
	}
	financeAPI(t, "finance", "GET", "/api/v1/collection-actions?kind=visit&room_id="+room.Key, nil, 200, &actions)
	found := false
	for _, x := range actions.Items {
		if x.Note == note {
			found = x.Outcome == "promised" && x.PromisedOn != nil && *x.PromisedOn == promised && x.DueAmount > 0
			if !found {
				t.Fatalf("recorded action %+v", x)
			}
		}
	}
	if !found {
		t.Fatalf("the visit is not in the log: %+v", actions.Items)
	}
	// The room's log, from its row.
	b.run(chromedp.Click(css(`[data-test=arrears-table] a[href*="collections?room_id=` + room.Key + `"]`)))
	b.waitText(`[data-test=actions-table]`, note)
	b.waitText(`[data-test=actions-table]`, "承诺缴费")
	b.waitText(`[data-test=room-filter]`, "栋")
	b.shot("collection-log")
}

// TestFinanceReportChartsAndExcel: the manager opens the financial report:
// figures, charts drawn, the tables; the .xlsx comes through the client with
// the token (200, a spreadsheet); the page switches to English.
func TestFinanceReportChartsAndExcel(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	dir := t.TempDir()
	var mu sync.Mutex
	var export struct {
		status   int64
		mime     string
		done     bool
		filename string
	}
	if err := chromedp.Listen(b.ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventResponseReceived:
			if strings.Contains(e.Response.URL, "/api/v1/exports/finance-report") {
				export.status, export.mime = e.Response.Status, e.Response.MimeType
			}
		case *cdpbrowser.EventDownloadWillBegin:
			export.filename = e.SuggestedFilename
		case *cdpbrowser.EventDownloadProgress:
			if e.State == cdpbrowser.DownloadProgressStateCompleted {
				export.done = true
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	events := true
	b.run(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events,
		})
		return err
	}))
	b.signIn("manager")
	b.run(chromedp.Navigate(server.base+"/console/finance/report"), chromedp.WaitVisible(css(`[data-test=report-kpis]`)))
	b.run(
		chromedp.WaitVisible(css(`[data-test=chart-trend] canvas`)),
		chromedp.WaitVisible(css(`[data-test=chart-items] canvas`)),
		chromedp.WaitVisible(css(`[data-test=chart-rate] canvas`)),
	)
	b.waitText(`[data-test=report-kpis]`, "收缴率")
	b.waitText(`[data-test=report-months]`, "%")
	// The demo's report for this year, as the API has it.
	var rep struct {
		Total struct {
			CollectionRate string `json:"collection_rate"`
		} `json:"total"`
	}
	financeAPI(t, "manager", "GET", "/api/v1/finance/report", nil, 200, &rep)
	if rep.Total.CollectionRate == "" {
		t.Fatal("the demo report has no collection rate")
	}
	b.waitText(`[data-test=report-kpis]`, rep.Total.CollectionRate)
	time.Sleep(800 * time.Millisecond) // the charts' entry animation
	b.shot("report")

	b.run(chromedp.Click(css(`[data-test=report-download]`)))
	b.waitText(`.el-message`, ".xlsx")
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		ok := export.done
		mu.Unlock()
		if ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	got := export
	mu.Unlock()
	if got.status != 200 || !strings.Contains(export.mime, "spreadsheetml") {
		t.Fatalf("export answered %d %q", got.status, got.mime)
	}
	if !got.done || !strings.HasSuffix(got.filename, ".xlsx") {
		t.Fatalf("download done %v, file %q", got.done, got.filename)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 {
		t.Fatalf("%d files downloaded", len(files))
	}
	data, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("the download is not an xlsx: %v", err)
	}
	sheet := false
	for _, f := range zr.File {
		sheet = sheet || f.Name == "xl/workbook.xml"
	}
	if !sheet {
		t.Fatal("the xlsx has no workbook")
	}

	b.switchLang(`.top [data-test=lang-switch]`)
	b.waitText(`[data-test=report-kpis]`, "Collection rate")
	b.waitText(`.el-card`, "Financial report")
	b.shot("report-en")
}

// financeRetype replaces an input's text by typing (as a person would).
func financeRetype(b *browser, sel, text string) {
	b.t.Helper()
	b.run(chromedp.Click(css(sel)))
	runValue(b, chromedp.Evaluate[bool](fmt.Sprintf(`(document.querySelector(%q).select(), true)`, sel)))
	b.run(chromedp.SendKeys(css(sel), text))
}

// financePick opens an Element Plus select and clicks the option showing text.
func financePick(b *browser, sel, text string) {
	b.t.Helper()
	b.run(chromedp.Click(css(sel + ` .el-select__wrapper`)))
	js := fmt.Sprintf(`(() => {
		const o = [...document.querySelectorAll('.el-select-dropdown__item')].find((e) => e.offsetParent !== null && e.innerText.includes(%q))
		if (o) o.click()
		return !!o
	})()`, text)
	deadline := time.Now().Add(20 * time.Second)
	for !runValue(b, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("no option %q in %s", text, sel)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// financeFirstRoom is a room of the demo.
func financeFirstRoom(t *testing.T) string {
	t.Helper()
	var rooms struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	financeAPI(t, "admin", "GET", "/api/v1/rooms?page_size=1&sort=number", nil, 200, &rooms)
	if len(rooms.Items) == 0 {
		t.Fatal("the demo has no room")
	}
	return rooms.Items[0].ID
}

// financeAPI calls the API as a demo user and decodes the answer into out.
func financeAPI(t *testing.T, user, method, path string, body any, want int, out any) {
	t.Helper()
	apiMust(t, login(t, user), method, path, body, want, out)
}
