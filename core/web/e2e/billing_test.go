package e2e_test

import (
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
	b.run(chromedp.Click(css(`[data-test=new-fee-item]`)), chromedp.WaitVisible(css(`[data-test=fee-item-form] input[name=code]`)))
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
	b.run(chromedp.Click(css(`[data-test=add-version-`+code+`]`)), chromedp.WaitVisible(css(`[data-test=rule-form] input[name=rate]`)))
	b.run(chromedp.SendKeys(css(`[data-test=rule-form] input[name=rate]`), "35.005"), chromedp.Click(css(`[data-test=rule-submit]`)))
	b.waitText(`[data-test=item-rate] .el-form-item__error`, "超过 2 位小数")
	b.shot("fee-rule-field-error")
	b.run(chromedp.SetValue(css(`[data-test=rule-form] input[name=rate]`), ""), chromedp.SendKeys(css(`[data-test=rule-form] input[name=rate]`), "35.00"))
	b.run(chromedp.Click(css(`[data-test=rule-submit]`)), chromedp.WaitNotVisible(css(`[data-test=rule-form]`)))
	b.run(chromedp.Click(css(`[data-test=versions-btn-` + code + `]`)))
	b.waitText(`[data-test=versions-`+code+`]`, "草稿")
	b.waitText(`[data-test=versions-`+code+`]`, "35.00")

	// Preview a room for next month: the draft's line shows beside the active items.
	b.run(chromedp.Click(css(`[data-test=fee-preview]`)))
	billingPickRoom(b, "3栋", "202", "3栋-1单元-202")
	b.run(chromedp.Click(css(`[data-test=preview-run]`)))
	b.waitText(`[data-test=preview-lines]`, name)
	b.waitText(`[data-test=preview-lines]`, "物业费")
	b.waitText(`[data-test=preview-lines]`, "¥35.00")
	b.waitText(`[data-test=preview-total]`, "¥")
	b.shot("fee-preview")
	b.run(chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(css(`[data-test=preview-lines]`)))

	// Activate it.
	b.run(chromedp.Click(css(`[data-test=activate-`+code+`-1]`)), chromedp.WaitVisible(css(`.el-message-box__btns .el-button--primary`)))
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

// TestBillingRunCollectAndReceipt: finance previews and runs next month's
// bills, watches the run to done, finds a room's new bill, takes it at the
// counter (a bad amount first: the error shows next to the field), and
// opens the printable receipt; the API then has the bill paid.
func TestBillingRunCollectAndReceipt(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.signIn("finance")
	b.run(chromedp.Navigate(server.base+"/console/billing/runs"), chromedp.WaitVisible(css(`[data-test=run-preview]`)))
	b.waitText(`[data-test=run-community]`, "阳光花园")
	b.run(chromedp.Click(css(`[data-test=run-preview]`)), chromedp.WaitVisible(css(`[data-test=run-preview-result]`)))
	period := runValue(b, chromedp.Evaluate[string](`document.querySelector('[data-test=run-period] input, input[data-test=run-period]').value`))
	b.waitText(`[data-test=preview-amount]`, "¥")
	b.shot("run-preview")
	b.run(chromedp.Click(css(`[data-test=run-start]`)), chromedp.WaitVisible(css(`[data-test=run-progress]`)))
	b.shot("run-progress")
	b.waitText(`[data-test=run-status]`, "已完成")
	b.waitText(`[data-test=run-progress]`, "已处理")
	b.shot("run-done")
	var bills struct {
		Total int `json:"total"`
	}
	billingAPI(t, "finance", "/api/v1/bills?period="+period, &bills)
	if bills.Total == 0 {
		t.Fatalf("no bills for %s after the run", period)
	}
	if got := strings.TrimSpace(runValue(b, chromedp.Text(css(`[data-test=run-bills]`)))); got == "0" || got == "" {
		t.Fatalf("the run shows %q bills", got)
	}

	// The run's bills, narrowed to one room.
	b.run(chromedp.Click(css(`[data-test=run-bills-link]`)), chromedp.WaitVisible(css(`[data-test=bills-table] .el-table__row`)))
	b.waitText(`[data-test=bills-pager]`, fmt.Sprint(bills.Total))
	billingPickRoom(b, "3栋", "202", "3栋-1单元-202")
	b.waitText(`[data-test=bills-pager]`, "共 1 条")
	b.waitText(`[data-test=bills-table]`, "3栋 1单元 202")
	b.shot("bills")
	b.run(chromedp.Click(css(`[data-test=bills-table] .el-table__row`)), chromedp.WaitVisible(css(`[data-test=bill-lines]`)))
	b.waitText(`[data-test=bill-lines]`, "物业费")
	b.waitText(`[data-test=bill-state]`, "未缴")
	b.shot("bill-detail")

	// Take the money at the counter.
	b.run(chromedp.Click(css(`[data-test=bill-collect]`)), chromedp.WaitVisible(css(`[data-test=collect-form] input[name=amount]`)))
	b.waitText(`[data-test=collect-room]`, "3栋 1单元 202")
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
	b.run(chromedp.SetValue(css(`[data-test=collect-form] input[name=amount]`), ""), chromedp.SendKeys(css(`[data-test=collect-form] input[name=amount]`), "12.345"))
	b.run(chromedp.Click(css(`[data-test=collect-submit]`)))
	b.waitText(`[data-test=item-amount] .el-form-item__error`, "最多两位小数")
	b.run(chromedp.SetValue(css(`[data-test=collect-form] input[name=amount]`), ""), chromedp.SendKeys(css(`[data-test=collect-form] input[name=amount]`), due))
	b.run(chromedp.Click(css(`[data-test=channel-pos]`)), chromedp.SendKeys(css(`[data-test=collect-form] input[name=payer]`), "王先生"))
	b.shot("collect-form")
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

	// The receipt opens in its own tab: the same page, here.
	href := runValue(b, chromedp.Evaluate[string](`document.querySelector('[data-test=print-receipt]').getAttribute('href')`))
	if !strings.HasPrefix(href, "/console/billing/receipts/") {
		t.Fatalf("receipt link %q", href)
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

// billingPickRoom picks a room in the page's room picker (one community).
func billingPickRoom(b *browser, building, number, label string) {
	b.t.Helper()
	b.run(chromedp.Click(css(`[data-test=picker-building]`)), chromedp.Click(css(`.el-select-dropdown__item[data-test="building-opt-`+building+`"]`)))
	b.run(chromedp.Click(css(`[data-test=picker-room]`)), chromedp.SendKeys(css(`[data-test=picker-room] input`), number))
	b.run(chromedp.Click(css(`.el-select-dropdown__item[data-test="room-opt-` + label + `"]`)))
}

// billingAPI GETs an API path as a demo user and decodes the answer.
func billingAPI(t *testing.T, user, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", server.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+login(t, user))
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
