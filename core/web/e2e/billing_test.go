package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBillingFeeRuleAndPreview: finance creates a fee item, adds a rate
// version with too many decimals (the API's field error shows next to the
// rate), fixes it, previews a room with the draft and activates it.
func TestBillingFeeRuleAndPreview(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.expect(400, "/versions")
	b.signIn("finance")
	b.run(chromedp.Navigate(server.base+"/console/billing/fee-items"), chromedp.WaitVisible(css(`[data-test=new-fee-item]`)))
	b.waitText(`[data-test=fee-items-table]`, "物业费")
	b.waitText(`[data-test=side-menu]`, "收费管理")

	n := time.Now().UnixNano() % 100000
	code, name := fmt.Sprintf("e2e_parking_%d", n), fmt.Sprintf("车位管理费%d", n)
	b.clickFor(`[data-test=new-fee-item]`, `[data-test=fee-item-form] input[name=code]`)
	b.run(
		chromedp.SendKeys(css(`[data-test=fee-item-form] input[name=code]`), code),
		chromedp.SendKeys(css(`[data-test=fee-item-form] input[name=name]`), name),
		chromedp.Click(css(`[data-test=kind-fixed]`)),
		chromedp.SendKeys(css(`[data-test=fee-item-form] input[name=unit]`), "户"),
	)
	b.shot("fee-item-form")
	b.run(chromedp.Click(css(`[data-test=fee-item-submit]`)), chromedp.WaitNotVisible(css(`[data-test=fee-item-form]`)))
	b.waitText(`[data-test=fee-items-table]`, code)

	// A fixed amount has the currency's 2 decimals: 35.005 is refused, next to the field.
	b.clickFor(`[data-test=add-version-`+code+`]`, `[data-test=rule-form] input[name=rate]`)
	b.run(chromedp.SendKeys(css(`[data-test=rule-form] input[name=rate]`), "35.005"), chromedp.Click(css(`[data-test=rule-submit]`)))
	b.waitText(`[data-test=item-rate] .el-form-item__error`, "超过 2 位小数")
	b.shot("fee-rule-field-error")
	billingRetype(b, `[data-test=rule-form] input[name=rate]`, "35.00")
	b.run(chromedp.Click(css(`[data-test=rule-submit]`)), chromedp.WaitNotVisible(css(`[data-test=rule-form]`)))
	// The list reloads after the save; a click on 版本 during the reload can be
	// undone by it, so click until the versions show.
	for try := 0; ; try++ {
		b.run(chromedp.Click(css(`[data-test=versions-btn-` + code + `]`)))
		if billingShows(b, `[data-test=versions-`+code+`]`, "草稿", 10*time.Second) || try == 2 {
			break
		}
	}
	b.waitText(`[data-test=versions-`+code+`]`, "草稿")
	b.waitText(`[data-test=versions-`+code+`]`, "35.00")

	// Preview a room for next month: the draft's line shows beside the active items.
	b.run(chromedp.Click(css(`[data-test=fee-preview]`)))
	billingPickRoom(b, "阳光花园", "3栋", "202", "3栋-1单元-202")
	b.run(chromedp.Click(css(`[data-test=preview-run]`)))
	b.waitText(`[data-test=preview-lines]`, name)
	b.waitText(`[data-test=preview-lines]`, "物业费")
	b.waitText(`[data-test=preview-lines]`, "¥35.00")
	b.waitText(`[data-test=preview-total]`, "¥")
	b.shot("fee-preview")
	b.run(chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(css(`[data-test=preview-lines]`)))

	// Activate it.
	b.clickFor(`[data-test=activate-`+code+`-1]`, `.el-message-box__btns .el-button--primary`)
	b.run(chromedp.Click(css(`.el-message-box__btns .el-button--primary`)))
	b.waitText(`[data-test=versions-`+code+`]`, "生效中")
	var items struct {
		Items []struct {
			Code     string `json:"code"`
			Versions []struct {
				Status string `json:"status"`
				Rate   string `json:"rate"`
			} `json:"versions"`
		} `json:"items"`
	}
	billingAPI(t, "finance", "/api/v1/fee-items?q="+url.QueryEscape(code), &items)
	if len(items.Items) != 1 || len(items.Items[0].Versions) != 1 || items.Items[0].Versions[0].Status != "active" || items.Items[0].Versions[0].Rate != "35.00" {
		t.Fatalf("fee item after activation: %+v", items)
	}
	b.shot("fee-items")
}

// TestBillingRunCollectAndReceipt: finance previews and runs this month's
// bills of a new community (four rooms, one fixed fee, set up through the
// API), watches the run to done, finds a room's new bill, takes it at the
// counter (a bad amount first: the error shows next to the field), and
// opens the printable receipt; the API then has the bill paid.
func TestBillingRunCollectAndReceipt(t *testing.T) {
	community := billingCommunity(t)
	b := newBrowser(t, 1366, 860, false)
	b.signIn("finance")
	b.run(chromedp.Navigate(server.base+"/console/billing/runs"), chromedp.WaitVisible(css(`[data-test=run-preview]`)))
	b.waitText(`[data-test=run-community]`, "阳光花园")
	b.choose(`[data-test=run-community]`, `.el-select-dropdown__item[data-test="run-community-opt-`+community.name+`"]`, community.name)
	b.clickFor(`[data-test=run-preview]`, `[data-test=run-preview-result]`)
	period := b.value(`input[name=period]`)
	b.waitText(`[data-test=preview-bills]`, "4")
	b.waitText(`[data-test=preview-amount]`, "¥480.00")
	b.shot("run-preview")
	b.run(chromedp.Click(css(`[data-test=run-start]`)), chromedp.WaitVisible(css(`[data-test=run-progress]`)))
	b.shot("run-progress")
	b.waitText(`[data-test=run-status]`, "已完成")
	b.waitText(`[data-test=run-progress]`, "已处理 4 / 4")
	b.waitText(`[data-test=run-bills]`, "4")
	b.shot("run-done")
	var bills struct {
		Total int `json:"total"`
	}
	billingAPI(t, "finance", "/api/v1/bills?period="+period+"&community_id="+community.id, &bills)
	if bills.Total != 4 {
		t.Fatalf("%d bills for %s after the run, want 4", bills.Total, period)
	}

	// The run's bills, narrowed to one room.
	b.clickFor(`[data-test=run-bills-link]`, `[data-test=bills-table] .el-table__row`)
	b.waitText(`[data-test=bills-pager]`, "共 4 条")
	b.shot("bills")
	billingPickRoom(b, "", "1栋", "102", "1栋-1单元-102")
	b.waitText(`[data-test=bills-pager]`, "共 1 条")
	b.waitText(`[data-test=bills-table]`, "1栋 1单元 102")
	b.clickFor(`[data-test=bills-table] .el-table__row`, `[data-test=bill-lines]`)
	b.waitText(`[data-test=bill-lines]`, community.fee)
	b.waitText(`[data-test=bill-state]`, "未缴")
	b.shot("bill-detail")

	// Take the money at the counter.
	b.clickFor(`[data-test=bill-collect]`, `[data-test=collect-form] input[name=amount]`)
	b.waitText(`[data-test=collect-room]`, "1栋 1单元 102")
	b.waitText(`[data-test=collect-form]`, "已选 1 张账单")
	loc := runValue(b, chromedp.Evaluate[string](`location.search`))
	q, _ := url.ParseQuery(strings.TrimPrefix(loc, "?"))
	billID := q.Get("bill_id")
	if billID == "" {
		t.Fatalf("no bill in %q", loc)
	}
	due := b.value(`[data-test=collect-form] input[name=amount]`)
	if due == "" || due == "0.00" {
		t.Fatalf("amount due %q", due)
	}
	billingRetype(b, `[data-test=collect-form] input[name=amount]`, "12.345")
	b.run(chromedp.Click(css(`[data-test=collect-submit]`)))
	b.waitText(`[data-test=item-amount] .el-form-item__error`, "最多两位小数")
	b.shot("collect-bad-amount")
	// The same error in English after the switch, and back.
	b.switchLang(`.top [data-test=lang-switch]`)
	b.waitText(`[data-test=item-amount] .el-form-item__error`, "at most 2 decimals")
	b.waitText(`[data-test=collect-form]`, "Take payment")
	b.switchLang(`.top [data-test=lang-switch]`)
	b.waitText(`[data-test=item-amount] .el-form-item__error`, "最多两位小数")
	billingRetype(b, `[data-test=collect-form] input[name=amount]`, due)
	b.run(chromedp.Click(css(`[data-test=channel-pos]`)), chromedp.SendKeys(css(`[data-test=collect-form] input[name=payer]`), "王先生"))
	b.run(chromedp.Click(css(`[data-test=collect-submit]`)), chromedp.WaitVisible(css(`[data-test=collect-result]`)))
	b.waitText(`[data-test=collect-result]`, "收据号")
	b.shot("collect-done")

	var bill struct {
		Outstanding int64 `json:"outstanding"`
		Paid        int64 `json:"paid"`
		Amount      int64 `json:"amount"`
	}
	billingAPI(t, "finance", "/api/v1/bills/"+billID, &bill)
	if bill.Outstanding != 0 || bill.Paid != bill.Amount || fmt.Sprintf("%d.%02d", bill.Amount/100, bill.Amount%100) != due {
		t.Fatalf("bill after the payment: %+v (typed %s)", bill, due)
	}

	// The receipt opens in its own tab: the same page, below.
	href := runValue(b, chromedp.Evaluate[string](`document.querySelector('[data-test=print-receipt]').getAttribute('href')`))
	if !strings.HasPrefix(href, "/console/billing/receipts/") {
		t.Fatalf("receipt link %q", href)
	}

	// Prepay the room's next three months (预缴): billed and paid at once.
	b.clickFor(`[data-test=collect-again]`, `[data-test=collect-tabs]`)
	b.clickFor(`#tab-prepay`, `[data-test=prepay-quote]`)
	billingRetype(b, `[data-test=prepay] input[name=months]`, "3")
	b.run(chromedp.Click(css(`[data-test=prepay-quote]`)))
	b.waitText(`[data-test=prepay-total]`, "¥360.00")
	b.shot("prepay-quote")
	b.run(chromedp.Click(css(`[data-test=prepay-submit]`)), chromedp.WaitVisible(css(`[data-test=prepay-result]`)))
	b.waitText(`[data-test=prepay-result]`, "¥360.00")
	next, err := time.Parse("2006-01", period)
	if err != nil {
		t.Fatal(err)
	}
	var ahead struct {
		Total int `json:"total"`
		Items []struct {
			Outstanding int64 `json:"outstanding"`
			Paid        int64 `json:"paid"`
		} `json:"items"`
	}
	billingAPI(t, "finance", "/api/v1/bills?community_id="+community.id+"&period="+next.AddDate(0, 1, 0).Format("2006-01"), &ahead)
	if ahead.Total != 1 || ahead.Items[0].Outstanding != 0 || ahead.Items[0].Paid != 12000 {
		t.Fatalf("next month after the prepayment: %+v", ahead)
	}
	b.run(chromedp.Navigate(server.base+href), chromedp.WaitVisible(css(`[data-test=receipt-frame]`)))
	deadline := time.Now().Add(20 * time.Second)
	var text string
	for time.Now().Before(deadline) {
		text = runValue(b, chromedp.Evaluate[string](`(document.querySelector('[data-test=receipt-frame]')?.contentDocument?.body?.innerText)||''`))
		if strings.Contains(text, "收款收据") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(text, "收款收据") || !strings.Contains(text, due) || !strings.Contains(text, "王先生") {
		t.Fatalf("receipt text: %q", text)
	}
	b.shot("receipt")
}

// billingPickRoom picks a room in the page's room picker (the community
// too, unless empty: already chosen).
func billingPickRoom(b *browser, community, building, number, label string) {
	b.t.Helper()
	if community != "" {
		b.choose(`[data-test=picker-community]`, `.el-select-dropdown__item[data-test="community-opt-`+community+`"]`, community)
	}
	b.choose(`[data-test=picker-building]`, `.el-select-dropdown__item[data-test="building-opt-`+building+`"]`, building)
	b.run(chromedp.Click(css(`[data-test=picker-room]`)), chromedp.SendKeys(css(`[data-test=picker-room] input`), number))
	opt := css(`.el-select-dropdown__item[data-test="room-opt-` + label + `"]`)
	b.run(chromedp.WaitVisible(opt))
	time.Sleep(300 * time.Millisecond)                       // the dropdown's opening transition
	b.run(chromedp.Click(opt), chromedp.WaitNotVisible(opt)) // the dropdown covers the list under it
	b.waitText(`[data-test=picker-room]`, strings.ReplaceAll(label, "-", " "))
}

// billingShows reports whether the element shows want within d.
func billingShows(b *browser, sel, want string, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if strings.Contains(runValue(b, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||''`, sel))), want) {
			return true
		}
	}
	return false
}

// billingAPI GETs an API path as a demo user and decodes the answer.
func billingAPI(t *testing.T, user, path string, out any) {
	t.Helper()
	apiMust(t, login(t, user), "GET", path, nil, 200, out)
}

// billingRetype empties an input (as the user would) and types text.
func billingRetype(b *browser, sel, text string) {
	b.t.Helper()
	runValue(b, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = ''; e.dispatchEvent(new Event('input', {bubbles: true})); return true })()`, sel)))
	b.run(chromedp.SendKeys(css(sel), text))
}

type billingPlace struct{ id, name, fee string }

// billingCommunity sets up, as the admin through the API, a community of
// its own with one building of four rooms and an active fixed fee of
// ¥120.00 a room a month, so a bill run of it bills exactly four rooms.
func billingCommunity(t *testing.T) billingPlace {
	t.Helper()
	n := time.Now().UnixNano() % 1000000
	p := billingPlace{name: fmt.Sprintf("E2E花园%d", n), fee: fmt.Sprintf("E2E管理费%d", n)}
	var c struct {
		ID string `json:"id"`
	}
	billingPost(t, "/api/v1/communities", map[string]any{"name": p.name, "code": fmt.Sprintf("E2E%d", n), "address": "测试路 1 号", "notes": ""}, &c)
	p.id = c.ID
	billingPost(t, "/api/v1/buildings/generate", map[string]any{"community_id": c.ID, "name": "1栋", "units": 1, "floors": 2, "start_floor": 1,
		"rooms_per_floor": 2, "numbering": "{floor}{room:02}", "unit_name": "", "layout": "", "built_area": "80.00", "preview": false}, nil)
	var item struct {
		ID string `json:"id"`
	}
	billingPost(t, "/api/v1/fee-items", map[string]any{"community_id": c.ID, "code": fmt.Sprintf("e2e_mgmt_%d", n), "name": p.fee, "kind": "fixed",
		"unit": "户", "cycle": "monthly", "billing": "advance", "due_days": 15, "currency": "CNY", "per": "room", "area_basis": "", "apportion": "",
		"meter_kind": "", "rounding": "", "rounding_scope": "", "vacancy_percent": "0", "prepay_tiers": []any{}}, &item)
	var rule struct {
		ID string `json:"id"`
	}
	billingPost(t, "/api/v1/fee-items/"+item.ID+"/versions", map[string]any{"valid_from": "2020-01-01", "valid_to": nil, "rate": "120.00", "tiers": []any{}, "notes": ""}, &rule)
	billingPost(t, "/api/v1/fee-rules/"+rule.ID+"/activate", nil, nil)
	return p
}

// billingPost POSTs JSON as the admin and decodes the answer (any 2xx).
func billingPost(t *testing.T, path string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest("POST", server.base+path, body)
	req.Header.Set("Authorization", "Bearer "+login(t, "admin"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("e2e-%d", time.Now().UnixNano()))
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, msg)
	}
	if out != nil {
		if err := json.Unmarshal(msg, out); err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
	}
}
