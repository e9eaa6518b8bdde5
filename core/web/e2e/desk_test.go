package e2e_test

// The service desk in the browser: the front desk records an order, a
// manager dispatches it, the technician accepts, starts and resolves it with
// a photo on the phone, and the console shows each step on the order's
// timeline; the full repair flow from a resident's report to their rating;
// a patrol check-in on the phone.

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
)

// deskAPI calls the API as the holder of tok; want is the expected status.
func deskAPI(t *testing.T, tok, method, path string, body any, want int) []byte {
	t.Helper()
	return apiMust(t, tok, method, path, body, want, nil)
}

// deskOrder is the part of a work order the tests look at.
type deskOrder struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	AssigneeName string `json:"assignee_name"`
	Result       string `json:"result"`
	Rating       int    `json:"rating"`
	Files        []struct {
		ContentType string `json:"content_type"`
	} `json:"files"`
	Timeline []struct {
		Kind string `json:"kind"`
	} `json:"timeline"`
}

func deskGetOrder(t *testing.T, tok, id string) deskOrder {
	t.Helper()
	var o deskOrder
	if err := json.Unmarshal(deskAPI(t, tok, "GET", "/api/v1/work-orders/"+id, nil, 200), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// deskKinds lists an order's timeline kinds.
func deskKinds(o deskOrder) string {
	var ks []string
	for _, e := range o.Timeline {
		ks = append(ks, e.Kind)
	}
	return strings.Join(ks, ",")
}

// deskPhoto writes a small PNG (a phone photo's stand-in) and answers its path.
func deskPhoto(t *testing.T, name string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 160, 255})
		}
	}
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// deskPick opens an Element Plus select and clicks the option with this text.
func deskPick(b *browser, sel, option string) {
	b.t.Helper()
	b.run(chromedp.Click(css(sel + " .el-select__wrapper")))
	js := fmt.Sprintf(`(() => { const o = [...document.querySelectorAll('.el-select-dropdown__item')].find(e => e.offsetParent !== null && e.innerText.trim() === %q); if (!o) return false; o.click(); return true })()`, option)
	deadline := time.Now().Add(20 * time.Second)
	for !runValue(b, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("%s: no option %q", sel, option)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// deskClickRow clicks the element matching sel inside the first table row containing text.
func deskClickRow(b *browser, table, text, sel string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const r = [...document.querySelectorAll(%q + ' tr')].find(r => r.innerText.includes(%q)); const e = r && r.querySelector(%q); if (!e) return false; e.click(); return true })()`, table, text, sel)
	deadline := time.Now().Add(30 * time.Second)
	for !runValue(b, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("%s: no row with %q holding %s", table, text, sel)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// deskDocShot keeps a screenshot for docs/console/desk.md when
// WUYE_DOCS_SHOTS names a directory (the committed PNGs come from there).
func deskDocShot(b *browser, name string) {
	b.t.Helper()
	b.shot(name)
	dir := os.Getenv("WUYE_DOCS_SHOTS")
	if dir == "" {
		return
	}
	png := runValue(b, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, "desk-"+name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// deskTap scrolls the element to the middle of the window, then clicks it
// (at the bottom of a phone screen the fixed tab bar would take the click).
func deskTap(b *browser, sel string) {
	b.t.Helper()
	b.run(chromedp.WaitVisible(css(sel)))
	// A toast (the last step's "done") in the middle of the screen takes taps too: wait it out.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && runValue(b, chromedp.Evaluate[bool](`[...document.querySelectorAll('.van-toast')].some(e => e.getClientRects().length > 0)`)) {
		time.Sleep(200 * time.Millisecond)
	}
	runValue(b, chromedp.Evaluate[bool](fmt.Sprintf(`(document.querySelector(%q).scrollIntoView({block: 'center'}), true)`, sel)))
	time.Sleep(200 * time.Millisecond)
	b.run(chromedp.Click(css(sel)))
}

// deskPickTech picks a technician in the dispatch dialog (by the name shown).
func deskPickTech(b *browser, name string) {
	b.t.Helper()
	b.waitText(`[data-test=technicians]`, name)
	js := fmt.Sprintf(`(() => { const r = [...document.querySelectorAll('[data-test=technicians] tr')].find(r => r.innerText.includes(%q)); if (r) r.querySelector('td').click(); const s = document.querySelector('[data-test=assign-submit]'); return !!s && !s.disabled })()`, name)
	deadline := time.Now().Add(20 * time.Second)
	for !runValue(b, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("cannot pick technician %s", name)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// deskDispatch opens the order in the console and dispatches it to tech (a
// name as shown, e.g. 王磊).
func deskDispatch(b *browser, id, tech string) {
	b.t.Helper()
	b.run(chromedp.Navigate(server.base+"/console/workorders/"+id), chromedp.WaitVisible(css(`[data-test=detail-assign]`)))
	b.clickFor(`[data-test=detail-assign]`, `[data-test=technicians]`)
	deskPickTech(b, tech)
	b.run(chromedp.SendKeys(css(`[data-test=assign-form] input[name=note]`), "请尽快上门"))
	b.shot("dispatch-" + tech)
	b.run(chromedp.Click(css(`[data-test=assign-submit]`)))
	b.waitText(`[data-test=detail-assignee]`, tech)
	b.waitText(`[data-test=detail-status]`, "已派单")
}

// deskTechResolve: the technician, signed in on the phone, opens the order,
// accepts, starts and resolves it with a photo.
func deskTechResolve(b *browser, id, result string) {
	b.t.Helper()
	b.run(chromedp.Navigate(server.base+"/tech/orders/"+id), chromedp.WaitVisible(css(`[data-test=tech-accept]`)))
	b.shot("tech-order-assigned")
	deskTap(b, `[data-test=tech-accept]`)
	b.waitText(`[data-test=tech-status]`, "已接单")
	deskTap(b, `[data-test=tech-start]`)
	b.waitText(`[data-test=tech-status]`, "处理中")
	b.run(
		chromedp.WaitVisible(css(`[data-test=resolve-form]`)),
		chromedp.SendKeys(css(`[data-test=resolve-form] textarea[name=result]`), result),
		chromedp.SetUploadFiles(css(`[data-test=resolve-photos] input[type=file]`), []string{deskPhoto(b.t, "fixed.png")}, chromedp.NodeReady),
		chromedp.WaitVisible(css(`[data-test=resolve-photos] .van-uploader__preview`)),
	)
	deskDocShot(b, "tech-resolve")
	deskTap(b, `[data-test=tech-resolve]`)
	b.waitText(`[data-test=tech-status]`, "已完成")
	b.waitText(`[data-test=tech-result]`, result)
	b.run(chromedp.WaitVisible(css(`[data-test=tech-photo] img`)))
	b.shot("tech-order-resolved")
}

// TestDeskDispatchAndTechResolve: the front desk records an order for a
// room, a manager dispatches it to 王磊, who accepts, starts and resolves it
// with a photo in the technician H5; the console's timeline shows each step.
func TestDeskDispatchAndTechResolve(t *testing.T) {
	desc := fmt.Sprintf("3栋201 卧室门锁坏了，关不上 e2e-%d", time.Now().UnixNano())

	// The front desk (console, 1366×860).
	fd := newBrowser(t, 1366, 860, false)
	fd.signIn("frontdesk")
	fd.run(chromedp.Navigate(server.base+"/console/workorders"), chromedp.WaitVisible(css(`[data-test=orders-table]`)))
	fd.run(chromedp.Click(css(`[data-test=new-order]`)), chromedp.WaitVisible(css(`[data-test=order-form]`)))
	// Saved empty: the API's field errors show next to the fields.
	fd.expect(400, "/api/v1/work-orders")
	fd.run(chromedp.Click(css(`[data-test=order-submit]`)))
	fd.waitText(`[data-test=item-description]`, "必填")
	fd.shot("order-form-errors")
	deskPick(fd, `[data-test=field-category]`, "门窗")
	deskPick(fd, `[data-test=field-community]`, "阳光花园")
	deskPick(fd, `[data-test=field-building]`, "3栋")
	deskPick(fd, `[data-test=field-unit]`, "1单元")
	deskPick(fd, `[data-test=field-room]`, "201")
	fd.run(
		chromedp.SendKeys(css(`input[name=reporter_name]`), "张女士"),
		chromedp.SendKeys(css(`input[name=contact]`), "13912345678"),
		chromedp.SendKeys(css(`textarea[name=description]`), desc),
	)
	fd.shot("new-order")
	fd.run(chromedp.Click(css(`[data-test=order-submit]`)))
	fd.waitText(`[data-test=detail-status]`, "待派单")
	fd.waitText(`[data-test=order-info]`, desc)
	id := strings.TrimPrefix(fd.location(), "/console/workorders/")
	if len(id) != 36 {
		t.Fatalf("after saving the order the page is %s", fd.location())
	}
	// The front desk records orders; dispatching is the managers' (workorder.assign).
	if n := fd.count(`[data-test=detail-assign]`); n != 0 {
		t.Fatalf("front desk sees the dispatch button")
	}
	mtok := login(t, "manager")
	if o := deskGetOrder(t, mtok, id); o.Status != "submitted" {
		t.Fatalf("new order: %+v", o)
	}

	// A manager dispatches it to 王磊 (tech_wang), seeing each technician's load.
	mg := newBrowser(t, 1366, 860, false)
	mg.signIn("manager")
	deskDispatch(mg, id, "王磊")
	if o := deskGetOrder(t, mtok, id); o.Status != "assigned" || !strings.HasPrefix(o.AssigneeName, "王磊") {
		t.Fatalf("after dispatch: %+v", o)
	}

	// 王磊 on the phone (375×667): accepts, starts, resolves with a photo.
	tw := newBrowser(t, 375, 667, true)
	tw.signIn("tech_wang")
	tw.waitText(`[data-test=tabbar]`, "我的工单")
	tw.waitText(`body`, desc[:20])
	tw.shot("tech-my-orders")
	deskTechResolve(tw, id, "更换门锁锁芯，已试开关正常")

	o := deskGetOrder(t, mtok, id)
	if o.Status != "resolved" || o.Result != "更换门锁锁芯，已试开关正常" || len(o.Files) != 1 || o.Files[0].ContentType != "image/png" {
		t.Fatalf("after resolve: %+v", o)
	}
	for _, k := range []string{"submitted", "assign", "accept", "start", "file_added", "resolve"} {
		if !strings.Contains(","+deskKinds(o)+",", ","+k+",") {
			t.Fatalf("timeline lacks %s: %s", k, deskKinds(o))
		}
	}

	// The console's timeline shows each step, the photo is there.
	mg.run(chromedp.Navigate(server.base+"/console/workorders/"+id), chromedp.WaitVisible(css(`[data-test=timeline]`)))
	for _, step := range []string{"提交工单", "派单", "接单", "开始处理", "上传照片", "处理完成"} {
		mg.waitText(`[data-test=timeline]`, step)
	}
	mg.waitText(`[data-test=detail-result]`, "更换门锁锁芯")
	mg.run(chromedp.WaitVisible(css(`[data-test=file] img`)))
	deskDocShot(mg, "order-timeline")

	// The board: the order under "已完成" (resolved), in English too.
	mg.run(chromedp.Navigate(server.base+"/console/workorders?status=resolved"), chromedp.WaitVisible(css(`[data-test=orders-table]`)))
	mg.waitText(`[data-test=orders-table]`, desc[:20])
	mg.switchLang(`[data-test=lang-switch]`)
	mg.waitText(`[data-test=orders-table]`, "Resolved")
	mg.switchLang(`[data-test=lang-switch]`)
	mg.waitText(`[data-test=orders-table]`, "已完成")
}

// TestRepairFlow: a resident files a repair through the API, a manager
// dispatches it from the board in the console, 赵军 (tech_zhao) resolves it
// with a photo in the technician H5 and the resident rates it through the
// API; the console shows the rating.
func TestRepairFlow(t *testing.T) {
	rtok := login(t, "resident")
	var rooms []struct {
		RoomID string `json:"room_id"`
	}
	if err := json.Unmarshal(deskAPI(t, rtok, "GET", "/api/v1/me/rooms", nil, 200), &rooms); err != nil || len(rooms) == 0 {
		t.Fatalf("resident's rooms: %v %v", rooms, err)
	}
	desc := fmt.Sprintf("卫生间门把手松了 e2e-%d", time.Now().UnixNano())
	var filed deskOrder
	json.Unmarshal(deskAPI(t, rtok, "POST", "/api/v1/me/work-orders", map[string]any{
		"type": "repair", "category": "doors_windows", "priority": "normal", "room_id": rooms[0].RoomID,
		"contact": "13802461357", "description": desc,
	}, 201), &filed)
	if filed.Status != "submitted" {
		t.Fatalf("filed: %+v", filed)
	}

	// The manager finds it under 待派单 on the board and dispatches it.
	mg := newBrowser(t, 1366, 860, false)
	mg.signIn("manager")
	mg.run(chromedp.Navigate(server.base+"/console/workorders?status=submitted"), chromedp.WaitVisible(css(`[data-test=orders-table]`)))
	mg.waitText(`[data-test=orders-table]`, desc)
	deskDocShot(mg, "board")
	deskClickRow(mg, `[data-test=orders-table]`, desc, `[data-test=assign]`)
	mg.run(chromedp.WaitVisible(css(`[data-test=technicians]`)))
	deskPickTech(mg, "赵军")
	mg.shot("board-dispatch")
	mg.run(chromedp.Click(css(`[data-test=assign-submit]`)))
	mtok := login(t, "manager")
	deadline := time.Now().Add(20 * time.Second)
	for o := deskGetOrder(t, mtok, filed.ID); o.Status != "assigned"; o = deskGetOrder(t, mtok, filed.ID) {
		if time.Now().After(deadline) {
			t.Fatalf("not dispatched: %+v", o)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// 赵军 sees it in his list, opens it and resolves it with a photo.
	tz := newBrowser(t, 375, 667, true)
	tz.signIn("tech_zhao")
	tz.waitText(`[data-test=tabbar]`, "我的工单")
	tz.waitText(`body`, desc)
	deskTechResolve(tz, filed.ID, "门把手螺丝紧固")

	// The resident rates it.
	deskAPI(t, rtok, "POST", "/api/v1/me/work-orders/"+filed.ID+"/rate", map[string]any{"stars": 5, "comment": "师傅很专业"}, 200)
	o := deskGetOrder(t, mtok, filed.ID)
	if o.Rating != 5 || !strings.Contains(deskKinds(o), "rated") {
		t.Fatalf("after rating: %+v", o)
	}
	mg.run(chromedp.Navigate(server.base+"/console/workorders/"+filed.ID), chromedp.WaitVisible(css(`[data-test=rating]`)))
	mg.waitText(`[data-test=rating]`, "师傅很专业")
	mg.waitText(`[data-test=timeline]`, "业主评价")
	mg.shot("repair-rated")
}

// TestDeskSLAAndDispatchPages: the overdue view and the dispatch page show
// the demo's breaches, technicians and rules.
func TestDeskSLAAndDispatchPages(t *testing.T) {
	mg := newBrowser(t, 1366, 860, false)
	mg.signIn("manager")
	mg.run(chromedp.Navigate(server.base+"/console/workorders/sla"), chromedp.WaitVisible(css(`[data-test=breaches]`)))
	mtok := login(t, "manager")
	var page struct {
		Total int `json:"total"`
	}
	json.Unmarshal(deskAPI(t, mtok, "GET", "/api/v1/work-orders?sla_breached=true&page_size=1", nil, 200), &page)
	if page.Total == 0 {
		t.Fatal("the demo has no SLA breaches")
	}
	mg.waitText(`[data-test=breach-total]`, fmt.Sprint(page.Total))
	mg.waitText(`[data-test=sla-targets]`, "电梯")
	mg.shot("sla")

	mg.run(chromedp.Navigate(server.base+"/console/workorders/dispatch"), chromedp.WaitVisible(css(`[data-test=tech-table]`)))
	mg.waitText(`[data-test=tech-table]`, "王磊")
	mg.waitText(`[data-test=rules]`, "自动派单")
	mg.shot("dispatch")

	// The board's overdue filter.
	mg.run(chromedp.Navigate(server.base+"/console/workorders"), chromedp.WaitVisible(css(`[data-test=orders-table]`)))
	mg.run(chromedp.Click(css(`[data-test=filter-overdue]`)))
	mg.waitText(`[data-test=pager]`, fmt.Sprint(page.Total))
	mg.run(chromedp.WaitVisible(css(`[data-test=orders-table] .late`)))
	mg.shot("board-overdue")
}

// deskCheckpointToken reads a checkpoint's QR token from the test server's
// database: what a phone reads when it scans the printed code (the API never
// answers tokens; the headless browser cannot scan).
func deskCheckpointToken(t *testing.T, name string) string {
	t.Helper()
	var files []string
	for _, pat := range []string{"wuye-e2e-*/wuye.db", "wuye-e2e-*/*/wuye.db"} {
		m, _ := filepath.Glob(filepath.Join(os.TempDir(), pat))
		files = append(files, m...)
	}
	for _, f := range files {
		db, err := gorm.Open(sqlite.Open("file:"+f+"?mode=ro&_pragma=busy_timeout(5000)"), &gorm.Config{})
		if err != nil {
			continue
		}
		var tok string
		db.Raw("SELECT token FROM patrol_checkpoints WHERE name = ?", name).Scan(&tok)
		if s, err := db.DB(); err == nil {
			s.Close()
		}
		if tok != "" {
			return tok
		}
	}
	t.Fatalf("no checkpoint %q in %v", name, files)
	return ""
}

// TestDeskPatrolCheckin: the guard checks in at a point of a round open now
// on the phone, with a note and a photo; a wrong code is refused in place.
func TestDeskPatrolCheckin(t *testing.T) {
	mtok := login(t, "manager")
	var users struct {
		Items []struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"items"`
	}
	json.Unmarshal(deskAPI(t, mtok, "GET", "/api/v1/users?q=guard&page_size=50", nil, 200), &users)
	guardID := ""
	for _, u := range users.Items {
		if u.Username == "guard" {
			guardID = u.ID
		}
	}
	var comms struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	json.Unmarshal(deskAPI(t, mtok, "GET", "/api/v1/communities?page_size=1", nil, 200), &comms)
	if guardID == "" || len(comms.Items) == 0 {
		t.Fatalf("guard %q, communities %v", guardID, comms)
	}
	// A route whose round started ten minutes ago (tenant's zone) and is open two hours.
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	n := time.Now().UnixNano()
	routeName := fmt.Sprintf("白班巡查 e2e-%d", n)
	pointA, pointB := fmt.Sprintf("东门 e2e-%d", n), fmt.Sprintf("车库入口 e2e-%d", n)
	deskAPI(t, mtok, "POST", "/api/v1/patrol-routes", map[string]any{
		"community_id": comms.Items[0].ID, "name": routeName, "times": []string{time.Now().In(loc).Add(-10 * time.Minute).Format("15:04")},
		"weekdays": []int{}, "window_minutes": 120, "late_minutes": 15, "guard_ids": []string{guardID}, "active": true,
		"checkpoints": []map[string]any{{"name": pointA, "location_kind": "text", "location_text": "东门岗亭"}, {"name": pointB, "location_kind": "text", "location_text": "地下车库"}},
	}, 201)
	token := deskCheckpointToken(t, pointA)

	g := newBrowser(t, 375, 667, true)
	g.signIn("guard")
	g.run(chromedp.Navigate(server.base+"/tech/patrol"), chromedp.WaitVisible(css(`[data-test=tabbar]`)))
	g.waitText(`body`, routeName)
	if g.count(`[data-test=points]`) == 0 {
		deskClickRowText(g, `[data-test=round]`, routeName) // more than one round open: pick ours
	}
	g.run(chromedp.WaitVisible(css(`[data-test=points]`)))
	g.waitText(`[data-test=points]`, pointA)

	// A wrong code is refused and what was typed stays.
	g.expect(422, "/checkins")
	g.run(chromedp.SendKeys(css(`[data-test=checkin-form] input[name=token]`), "NOT-A-CODE"))
	deskTap(g, `[data-test=checkin-submit]`)
	g.waitText(`[data-test=checkin-form]`, "二维码")
	deadline := time.Now().Add(20 * time.Second)
	for g.count(`[data-test=checkin-error], [data-test=checkin-form] .van-field__error-message`) == 0 {
		if time.Now().After(deadline) {
			g.shot("failure")
			t.Fatal("a wrong code shows no error")
		}
		time.Sleep(150 * time.Millisecond)
	}
	if v := g.value(`[data-test=checkin-form] input[name=token]`); v != "NOT-A-CODE" {
		t.Fatalf("typed code lost: %q", v)
	}
	g.shot("patrol-wrong-code")
	runValue(g, chromedp.Evaluate[bool](`(() => { const e = document.querySelector('[data-test=checkin-form] input[name=token]'); e.value = ''; e.dispatchEvent(new Event('input')); return true })()`))

	// The right code (as scanned: with its prefix), a note and a photo.
	g.run(
		chromedp.SendKeys(css(`[data-test=checkin-form] input[name=token]`), "wuye-patrol:"+token),
		chromedp.SendKeys(css(`[data-test=checkin-form] textarea[name=note]`), "门岗正常"),
		chromedp.SetUploadFiles(css(`[data-test=checkin-photo] input[type=file]`), []string{deskPhoto(t, "gate.png")}, chromedp.NodeReady),
		chromedp.WaitVisible(css(`[data-test=checkin-photo] .van-uploader__preview`)),
	)
	g.shot("patrol-checkin")
	deskTap(g, `[data-test=checkin-submit]`)
	g.waitText(`[data-test=points]`, "已打卡")
	g.waitText(`body`, "1 / 2")
	runValue(g, chromedp.Evaluate[bool](`(window.scrollTo(0, 0), true)`))
	deskDocShot(g, "tech-patrol")

	// The API has the check-in with its photo.
	var rounds struct {
		Items []struct {
			ID            string `json:"id"`
			PointsChecked int    `json:"points_checked"`
		} `json:"items"`
	}
	json.Unmarshal(deskAPI(t, mtok, "GET", "/api/v1/patrol-rounds?open=true&page_size=100", nil, 200), &rounds)
	found := false
	for _, r := range rounds.Items {
		var rd struct {
			Points []struct {
				Name      string  `json:"name"`
				CheckedAt *string `json:"checked_at"`
				PhotoID   *string `json:"photo_id"`
				Note      string  `json:"note"`
			} `json:"points"`
		}
		json.Unmarshal(deskAPI(t, mtok, "GET", "/api/v1/patrol-rounds/"+r.ID, nil, 200), &rd)
		for _, p := range rd.Points {
			if p.Name == pointA {
				found = true
				if p.CheckedAt == nil || p.PhotoID == nil || p.Note != "门岗正常" {
					t.Fatalf("check-in: %+v", p)
				}
			}
		}
	}
	if !found {
		t.Fatal("the round is not open")
	}
}

// deskClickRowText clicks the first element matching sel whose text contains text.
func deskClickRowText(b *browser, sel, text string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = [...document.querySelectorAll(%q)].find(e => e.innerText.includes(%q)); if (!e) return false; e.click(); return true })()`, sel, text)
	if !runValue(b, chromedp.Evaluate[bool](js)) {
		b.shot("failure")
		b.t.Fatalf("no %s with %q", sel, text)
	}
}

// TestDeskCancelNeedsReason: cancelling an order from its page asks for the
// reason; without one the API's error shows by the field, with one the order
// is cancelled and the timeline says why, in Chinese and in English.
func TestDeskCancelNeedsReason(t *testing.T) {
	mtok := login(t, "manager")
	var comms struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	json.Unmarshal(deskAPI(t, mtok, "GET", "/api/v1/communities?page_size=1", nil, 200), &comms)
	if len(comms.Items) == 0 {
		t.Fatal("no community")
	}
	var o deskOrder
	json.Unmarshal(deskAPI(t, mtok, "POST", "/api/v1/work-orders", map[string]any{
		"type": "repair", "category": "public_facilities", "priority": "low", "channel": "phone", "community_id": comms.Items[0].ID,
		"reporter_name": "王先生", "contact": "13700000000", "description": fmt.Sprintf("儿童乐园秋千链条松动 e2e-%d", time.Now().UnixNano()),
	}, 201), &o)

	b := newBrowser(t, 1366, 860, false)
	b.signIn("manager")
	b.run(chromedp.Navigate(server.base+"/console/workorders/"+o.ID), chromedp.WaitVisible(css(`[data-test=act-cancel]`)))
	b.clickFor(`[data-test=act-cancel]`, `[data-test=action-form]`)
	time.Sleep(600 * time.Millisecond) // the dialog's opening animation
	b.expect(400, "/cancel")
	b.run(chromedp.Click(css(`[data-test=action-submit]`)))
	b.waitText(`[data-test=item-note] .el-form-item__error`, "原因")
	b.shot("cancel-needs-reason")
	b.run(chromedp.SendKeys(css(`[data-test=action-form] textarea[name=note]`), "业主已自行修好"), chromedp.Click(css(`[data-test=action-submit]`)))
	b.waitText(`[data-test=detail-status]`, "已取消")
	b.waitText(`[data-test=timeline]`, "业主已自行修好")
	if got := deskGetOrder(t, mtok, o.ID); got.Status != "cancelled" {
		t.Fatalf("after cancel: %+v", got)
	}
	if n := b.count(`[data-test=act-cancel], [data-test=detail-assign]`); n != 0 {
		t.Fatal("a cancelled order still offers cancel or dispatch")
	}
	b.switchLang(`[data-test=lang-switch]`)
	b.waitText(`[data-test=detail-status]`, "Cancelled")
	b.waitText(`[data-test=timeline]`, "Cancelled")
	b.shot("cancelled-en")
	b.switchLang(`[data-test=lang-switch]`)
	b.waitText(`[data-test=detail-status]`, "已取消")
}
