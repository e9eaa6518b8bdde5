package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestServiceAnnouncementPublish: the manager composes an announcement to the
// demo community; a missing title shows its error next to the field first;
// once published the resident finds it in /api/v1/me/announcements, and after
// the resident opens it the readers drawer counts one reader.
func TestServiceAnnouncementPublish(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.expect(422, "/api/v1/announcements")
	b.expect(400, "/api/v1/announcements")
	b.signIn("manager")
	b.run(chromedp.Navigate(server.base+"/console/announcements"), chromedp.WaitVisible(css(`[data-test=new-announcement]`)))
	b.waitText(`[data-test=side-menu]`, "社区服务")
	b.clickFor(`[data-test=new-announcement]`, `textarea[name=body]`)
	serviceChoose(b, `[data-test=field-community]`, "阳光花园")
	b.run(chromedp.SendKeys(css(`textarea[name=body]`), "本周六上午 9:00–12:00 小区停水检修，请提前储水。"))
	b.run(chromedp.Click(css(`[data-test=ann-save-publish]`)))
	b.waitText(`[data-test=item-title] .el-form-item__error`, "标题必填")
	b.shot("announcement-title-error")
	if v := b.value(`textarea[name=body]`); !strings.Contains(v, "停水检修") {
		t.Fatalf("body after the error: %q", v)
	}

	title := fmt.Sprintf("停水通知 E2E-%d", time.Now().UnixNano()%1000000)
	b.run(chromedp.SendKeys(css(`input[name=title]`), title), chromedp.Click(css(`[data-test=ann-save-publish]`)))
	b.run(chromedp.WaitNotVisible(css(`textarea[name=body]`)))
	serviceWaitRow(b, `[data-test=announcements-table]`, title, "已发布")

	// The resident has it in their announcements.
	tok := login(t, "resident")
	var mine struct {
		Items []struct {
			ID     string  `json:"id"`
			Title  string  `json:"title"`
			ReadAt *string `json:"read_at"`
		} `json:"items"`
	}
	serviceAPI(t, tok, "GET", "/api/v1/me/announcements?page_size=50", nil, 200, &mine)
	id := ""
	for _, a := range mine.Items {
		if a.Title == title {
			id = a.ID
		}
	}
	if id == "" {
		t.Fatalf("the resident does not have %q: %+v", title, mine.Items)
	}
	serviceAPI(t, tok, "GET", "/api/v1/me/announcements/"+id, nil, 200, nil) // opens it: read

	// The readers drawer counts the resident.
	b.run(chromedp.Reload(), chromedp.WaitVisible(css(`[data-test=announcements-table]`)))
	b.waitText(`[data-test=announcements-table]`, title)
	serviceClickInRow(b, `[data-test=announcements-table]`, title, `[data-test=ann-readers]`)
	b.waitText(`[data-test=readers-table]`, "陈建国")
	b.waitText(`[data-test=readers-rate]`, "已读人数: 1")
	b.shot("announcement-readers")
	serviceKeepShot(t, b, "service-announcements.png")

	// English: the same page, switched.
	b.run(chromedp.Click(css(`.el-drawer__close-btn`)), chromedp.WaitNotPresent(css(`[data-test=readers-table]`)))
	serviceJSClick(b, `.top [data-test=lang-switch]`)
	b.waitText(`[data-test=announcements-table]`, "Published")
	b.shot("announcements-en")

	// The notification log and the templates (English still).
	b.run(chromedp.Navigate(server.base+"/console/notifications"), chromedp.WaitVisible(css(`[data-test=deliveries-table]`)))
	b.run(chromedp.Click(css(`#tab-templates`)))
	b.waitText(`[data-test=templates-table]`, "patrol.missed")
	b.shot("notification-templates")
}

// TestServicePatrolRouteForm: a new route with a bad start time shows the
// error next to the times; corrected, it is saved with its checkpoints.
func TestServicePatrolRouteForm(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.expect(422, "/api/v1/patrol-routes")
	b.expect(400, "/api/v1/patrol-routes")
	b.signIn("manager")
	b.run(chromedp.Navigate(server.base+"/console/patrol/routes"), chromedp.WaitVisible(css(`[data-test=new-route]`)))
	b.clickFor(`[data-test=new-route]`, `input[name=times]`)
	name := fmt.Sprintf("白天巡更 E2E-%d", time.Now().UnixNano()%1000000)
	serviceChoose(b, `[data-test=route-form] [data-test=field-community]`, "阳光花园")
	b.run(chromedp.SendKeys(css(`input[name=name]`), name), chromedp.SendKeys(css(`input[name=cp-name-0]`), "东门"))
	serviceSetInput(b, `input[name=times]`, "25:00")
	b.run(chromedp.Click(css(`[data-test=route-save]`)))
	b.waitText(`[data-test=item-times] .el-form-item__error`, "开始时间格式")
	b.shot("route-time-error")
	serviceSetInput(b, `input[name=times]`, "08:00, 20:00")
	b.clickFor(`[data-test=add-checkpoint]`, `input[name=cp-name-1]`)
	b.run(chromedp.SendKeys(css(`input[name=cp-name-1]`), "西门"))
	b.run(chromedp.Click(css(`[data-test=route-save]`)), chromedp.WaitNotVisible(css(`input[name=times]`)))
	b.waitText(`[data-test=routes-table]`, name)
	b.shot("route-saved")

	tok := login(t, "manager")
	var routes struct {
		Items []struct {
			ID          string   `json:"id"`
			Name        string   `json:"name"`
			Times       []string `json:"times"`
			Checkpoints []struct {
				Name string `json:"name"`
			} `json:"checkpoints"`
		} `json:"items"`
	}
	serviceAPI(t, tok, "GET", "/api/v1/patrol-routes?page_size=50", nil, 200, &routes)
	found := false
	for _, r := range routes.Items {
		if r.Name == name {
			found = true
			if strings.Join(r.Times, ",") != "08:00,20:00" || len(r.Checkpoints) != 2 || r.Checkpoints[1].Name != "西门" {
				t.Fatalf("saved route: %+v", r)
			}
			serviceAPI(t, tok, "DELETE", "/api/v1/patrol-routes/"+r.ID, nil, 204, nil) // the demo's route stays the only one
		}
	}
	if !found {
		t.Fatalf("route %q not saved", name)
	}
}

// TestServiceSurveyResults: the manager writes a survey (a rating, a single
// choice and a text question), publishes it, the resident answers it through
// the API, and the results page charts each question and lists the text.
func TestServiceSurveyResults(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.signIn("manager")
	b.run(chromedp.Navigate(server.base+"/console/surveys"), chromedp.WaitVisible(css(`[data-test=new-survey]`)))
	b.clickFor(`[data-test=new-survey]`, `input[name=title]`)
	title := fmt.Sprintf("物业服务满意度 E2E-%d", time.Now().UnixNano()%1000000)
	serviceChoose(b, `[data-test=field-community]`, "阳光花园")
	b.run(
		chromedp.SendKeys(css(`input[name=title]`), title),
		chromedp.SendKeys(css(`input[name=q-text-0]`), "您对物业服务的总体评价"),
		chromedp.Click(css(`[data-test=add-single]`)),
		chromedp.WaitVisible(css(`input[name=q-text-1]`)),
		chromedp.SendKeys(css(`input[name=q-code-1]`), "improve"),
		chromedp.SendKeys(css(`input[name=q-text-1]`), "最希望改进哪一项"),
		chromedp.SendKeys(css(`textarea[name=q-options-1]`), "电梯\n绿化\n停车"),
		chromedp.Click(css(`[data-test=add-text]`)),
		chromedp.WaitVisible(css(`input[name=q-text-2]`)),
		chromedp.SendKeys(css(`input[name=q-code-2]`), "comment"),
		chromedp.SendKeys(css(`input[name=q-text-2]`), "其他意见"),
	)
	b.shot("survey-compose")
	b.run(chromedp.Click(css(`[data-test=sv-save]`)), chromedp.WaitNotVisible(css(`input[name=title]`)))
	b.waitText(`[data-test=surveys-table]`, title)
	serviceClickInRow(b, `[data-test=surveys-table]`, title, `[data-test=sv-publish]`)
	b.run(chromedp.WaitVisible(css(`.el-message-box`)), chromedp.Click(css(`.el-message-box__btns .el-button--primary`)))
	serviceWaitRow(b, `[data-test=surveys-table]`, title, "进行中")

	// The resident answers through the API.
	tok := login(t, "resident")
	var mine struct {
		Items []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
			Open  bool   `json:"open"`
		} `json:"items"`
	}
	serviceAPI(t, tok, "GET", "/api/v1/me/surveys?page_size=50", nil, 200, &mine)
	id := ""
	for _, s := range mine.Items {
		if s.Title == title && s.Open {
			id = s.ID
		}
	}
	if id == "" {
		t.Fatalf("the resident has no open %q: %+v", title, mine.Items)
	}
	serviceAPI(t, tok, "POST", "/api/v1/me/surveys/"+id+"/answers", map[string]any{"answers": []map[string]any{
		{"question": "overall", "rating": 4}, {"question": "improve", "option": "停车"}, {"question": "comment", "text": "地库灯光太暗"},
	}}, 201, nil)

	// The results: a chart per question, the average, the text answer.
	serviceClickInRow(b, `[data-test=surveys-table]`, title, `[data-test=sv-results]`)
	b.run(chromedp.WaitVisible(css(`[data-test=q-chart-overall] canvas`)), chromedp.WaitVisible(css(`[data-test=q-chart-improve] canvas`)))
	b.waitText(`[data-test=q-chart-overall] [data-test=q-average]`, "4.00")
	b.waitText(`[data-test=survey-summary]`, "线上回收率")
	b.waitText(`[data-test=q-text-comment]`, "地库灯光太暗")
	b.run(chromedp.WaitVisible(css(`[data-test=survey-trend] canvas`)))
	var res struct {
		AppResponses   int `json:"app_responses"`
		PaperResponses int `json:"paper_responses"`
		Questions      []struct {
			Code    string `json:"code"`
			Options []struct {
				Option string `json:"option"`
				Count  int    `json:"count"`
			} `json:"options"`
		} `json:"questions"`
	}
	serviceAPI(t, login(t, "manager"), "GET", "/api/v1/surveys/"+id+"/results", nil, 200, &res)
	if res.AppResponses != 1 || len(res.Questions) != 3 || res.Questions[1].Options[2].Count != 1 {
		t.Fatalf("results: %+v", res)
	}
	b.shot("survey-results")

	// A paper questionnaire: a rating of 5 and a choice.
	b.clickFor(`[data-test=paper-entry]`, `[data-test=paper-form]`)
	serviceJSClick(b, `[data-test=paper-overall] .el-rate__item:nth-child(5)`)
	serviceJSClick(b, `[data-test=paper-improve] .el-radio:nth-child(1)`)
	b.run(chromedp.Click(css(`[data-test=paper-submit]`)), chromedp.WaitNotVisible(css(`[data-test=paper-form]`)))
	b.waitText(`[data-test=q-chart-overall] [data-test=q-average]`, "4.50")
	serviceAPI(t, login(t, "manager"), "GET", "/api/v1/surveys/"+id+"/results", nil, 200, &res)
	if res.AppResponses != 1 || res.PaperResponses != 1 || res.Questions[1].Options[0].Count != 1 {
		t.Fatalf("results after the paper form: %+v", res)
	}

	// The demo's closed annual survey: 40 answers, app and paper.
	b.run(chromedp.Navigate(server.base+"/console/surveys"), chromedp.WaitVisible(css(`[data-test=surveys-table]`)))
	serviceClickInRow(b, `[data-test=surveys-table]`, "已结束", `[data-test=sv-results]`)
	b.run(chromedp.WaitVisible(css(`[data-test=survey-summary]`)))
	b.waitText(`[data-test=survey-summary]`, "40")
	b.run(chromedp.WaitVisible(css(`[data-test=q-chart-overall] canvas`)))
	time.Sleep(1500 * time.Millisecond) // the charts' animation
	b.shot("survey-results-demo")
	serviceKeepShot(t, b, "service-survey-results.png")
}

// TestServicePatrolResults: the demo's week of night rounds: the summary
// chart, the rounds list, one round's check-ins, the missed points, and a
// checkpoint's QR code on the routes page.
func TestServicePatrolResults(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.signIn("manager")
	b.run(chromedp.Navigate(server.base+"/console/patrol"), chromedp.WaitVisible(css(`[data-test=patrol-chart] canvas`)))
	b.waitText(`[data-test=summary-table]`, "夜间巡更")
	b.waitText(`[data-test=summary-table]`, "赵勇")
	b.waitText(`[data-test=rounds-table]`, "夜间巡更")
	b.waitText(`[data-test=rounds-pager]`, "共")
	time.Sleep(1500 * time.Millisecond) // the chart's animation
	b.shot("patrol-results")
	serviceKeepShot(t, b, "service-patrol.png")

	// An incomplete round: its missed point.
	b.run(chromedp.Click(css(`[data-test=filter-status]`)))
	serviceChooseOpen(b, "有漏检")
	serviceClickInRow(b, `[data-test=rounds-table]`, "有漏检", `[data-test=round-open]`)
	b.run(chromedp.WaitVisible(css(`[data-test=round-points]`)))
	b.waitText(`[data-test=round-points]`, "南大门岗亭")
	b.waitText(`[data-test=round-points]`, "漏检")
	b.waitText(`[data-test=round-detail]`, "赵勇")
	b.shot("patrol-round")
	serviceKeepShot(t, b, "service-patrol-round.png")

	// The missed points tab counts as the API does.
	b.run(chromedp.Navigate(server.base+"/console/patrol"), chromedp.WaitVisible(css(`[data-test=rounds-table]`)))
	var ex struct {
		Total int `json:"total"`
	}
	serviceAPI(t, login(t, "manager"), "GET", "/api/v1/patrol-exceptions?page_size=1", nil, 200, &ex)
	if ex.Total == 0 {
		t.Fatal("the demo has no missed points")
	}
	b.run(chromedp.Click(css(`#tab-exceptions`)))
	b.waitText(`#tab-exceptions`, fmt.Sprintf("(%d)", ex.Total))
	b.waitText(`[data-test=exceptions-table]`, "夜间巡更")

	// Routes: a checkpoint's QR code.
	b.run(chromedp.Navigate(server.base+"/console/patrol/routes"), chromedp.WaitVisible(css(`[data-test=routes-table]`)))
	b.waitText(`[data-test=routes-table]`, "夜间巡更")
	serviceJSClick(b, `[data-test=routes-table] .el-table__expand-icon`)
	b.run(chromedp.WaitVisible(css(`[data-test=checkpoints-table]`)))
	b.waitText(`[data-test=checkpoints-table]`, "水泵房")
	serviceJSClick(b, `[data-test=checkpoints-table] [data-test=cp-qr]`)
	b.run(chromedp.WaitVisible(css(`[data-test=qr-image]`)))
	ok := runValue(b, chromedp.Evaluate[bool](`(() => { const i = document.querySelector('[data-test=qr-image]'); return !!i && i.complete && i.naturalWidth > 0 })()`))
	deadline := time.Now().Add(10 * time.Second)
	for !ok && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		ok = runValue(b, chromedp.Evaluate[bool](`(() => { const i = document.querySelector('[data-test=qr-image]'); return !!i && i.complete && i.naturalWidth > 0 })()`))
	}
	if !ok {
		t.Fatal("the QR image did not load")
	}
	b.shot("patrol-qr")
}

// serviceChoose opens an Element Plus select and picks the option with text.
func serviceChoose(b *browser, sel, text string) {
	b.t.Helper()
	b.run(chromedp.Click(css(sel)))
	serviceChooseOpen(b, text)
}

// serviceChooseOpen clicks the option with text in the open select dropdown.
func serviceChooseOpen(b *browser, text string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => {
		const items = [...document.querySelectorAll('.el-select-dropdown__item')].filter((li) => li.offsetParent !== null && li.innerText.trim() === %q)
		if (!items.length) return false
		items[0].click()
		return true
	})()`, text)
	deadline := time.Now().Add(15 * time.Second)
	for !runValue(b, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("no option %q", text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// serviceClickInRow clicks the element btn in the table row holding text.
func serviceClickInRow(b *browser, table, text, btn string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => {
		const row = [...document.querySelectorAll(%q + ' tr')].find((tr) => tr.innerText.includes(%q))
		const el = row && row.querySelector(%q)
		if (!el) return false
		el.click()
		return true
	})()`, table, text, btn)
	deadline := time.Now().Add(15 * time.Second)
	for !runValue(b, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("no %s in the row with %q", btn, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// serviceJSClick clicks the first element matching sel from the page's
// script, waiting for it to exist (unmoved by a late layout shift).
func serviceJSClick(b *browser, sel string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false; el.click(); return true })()`, sel)
	deadline := time.Now().Add(15 * time.Second)
	for !runValue(b, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("nothing matches %s", sel)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// serviceSetInput replaces an input's text as typing would (v-model sees it).
func serviceSetInput(b *browser, sel, value string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false; el.value = %q; el.dispatchEvent(new Event('input', { bubbles: true })); return true })()`, sel, value)
	if !runValue(b, chromedp.Evaluate[bool](js)) {
		b.t.Fatalf("nothing matches %s", sel)
	}
}

// serviceWaitRow waits until the table row holding text also shows want.
func serviceWaitRow(b *browser, table, text, want string) {
	b.t.Helper()
	js := fmt.Sprintf(`[...document.querySelectorAll(%q + ' tr')].some((tr) => tr.innerText.includes(%q) && tr.innerText.includes(%q))`, table, text, want)
	deadline := time.Now().Add(30 * time.Second)
	for !runValue(b, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("no row with %q showing %q", text, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// serviceAPI makes one API call with a token and checks its status.
func serviceAPI(t *testing.T, tok, method, path string, body any, want int, out any) {
	t.Helper()
	apiMust(t, tok, method, path, body, want, out)
}

// serviceKeepShot copies the last screenshot to WUYE_SERVICE_DOCS (the
// docs/console folder) when set, for docs/console/service.md.
func serviceKeepShot(t *testing.T, b *browser, name string) {
	t.Helper()
	dir := os.Getenv("WUYE_SERVICE_DOCS")
	if dir == "" {
		return
	}
	matches, _ := filepath.Glob(filepath.Join(b.shots, fmt.Sprintf("%02d-*.png", b.n)))
	if len(matches) == 0 {
		return
	}
	data, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}
