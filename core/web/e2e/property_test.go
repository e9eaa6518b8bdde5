package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPropertyDashboard: the manager's dashboard shows the real numbers — the
// occupancy card says what GET /rooms counts, the open work orders what
// GET /work-orders counts — with its charts drawn, in Chinese and English.
func TestPropertyDashboard(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	tok := login(t, "manager")
	b.signIn("manager")
	b.run(chromedp.WaitVisible(css(`[data-test=kpi-occupancy-sub]`)))

	total := propertyTotal(t, tok, "/api/v1/rooms", nil)
	occupied := propertyTotal(t, tok, "/api/v1/rooms", url.Values{"status": {"occupied"}})
	if total == 0 || occupied == 0 {
		t.Fatalf("demo rooms: %d, occupied %d", total, occupied)
	}
	b.waitText(`[data-test=kpi-occupancy-sub]`, fmt.Sprintf("共 %d 套房屋，已入住 %d 套", total, occupied))
	open := 0
	for _, s := range []string{"submitted", "assigned", "accepted", "in_progress"} {
		open += propertyTotal(t, tok, "/api/v1/work-orders", url.Values{"status": {s}})
	}
	b.waitText(`[data-test=kpi-orders-value]`, fmt.Sprint(open))

	// This month's collection rate as the API computes it (basis points → %).
	var rates struct {
		Items []struct {
			RateBP int64 `json:"rate_bp"`
		} `json:"items"`
	}
	propertyGet(t, tok, "/api/v1/billing/collection-rate", &rates)
	if len(rates.Items) == 0 {
		t.Fatal("no collection rate")
	}
	last := float64(rates.Items[len(rates.Items)-1].RateBP) / 100
	b.waitText(`[data-test=kpi-collection-value]`, "%")
	shown := strings.TrimSuffix(runValue(b, chromedp.Text(css(`[data-test=kpi-collection-value]`))), "%")
	var pct float64
	if _, err := fmt.Sscan(shown, &pct); err != nil || pct < last-0.06 || pct > last+0.06 {
		t.Fatalf("collection rate shown %q%%, the API says %.2f%%", shown, last)
	}
	b.waitText(`[data-test=kpi-arrears-value]`, "¥")

	for _, c := range []string{"trend-chart", "aging-chart", "orders-chart", "rooms-chart"} {
		b.run(chromedp.WaitVisible(css(`[data-test=` + c + `] canvas`)))
	}
	time.Sleep(800 * time.Millisecond) // the charts' entry animation
	b.shot("dashboard")

	b.switchLang(`.top [data-test=lang-switch]`)
	b.waitText(`[data-test=kpi-occupancy]`, "Occupancy")
	b.waitText(`[data-test=kpi-occupancy-sub]`, fmt.Sprintf("%d of %d rooms occupied", occupied, total))
	b.shot("dashboard-en")
}

// TestPropertyBulkBuildingRoomMap: the manager generates a building in bulk
// (preview first), sees its room map, opens a room's file; a demo building's
// map marks the rooms that owe money.
func TestPropertyBulkBuildingRoomMap(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	tok := login(t, "manager")
	b.signIn("manager")
	b.run(chromedp.Navigate(server.base+"/console/compound"), chromedp.WaitVisible(css(`[data-test=compound-tree] [data-kind=community]`)))

	name := fmt.Sprintf("E2E-P%d栋", time.Now().UnixNano()%100000)
	b.clickFor(`[data-test=open-generate]`, `input[name=gen-name]`)
	// Without a name the API's field error shows next to the name; nothing can be created yet.
	b.expect(400, "/api/v1/buildings/generate")
	b.run(chromedp.Click(css(`[data-test=gen-preview-btn]`)))
	b.waitText(`[data-test=gen-item-name] .el-form-item__error`, "name 不能为空")
	if !runValue(b, chromedp.Evaluate[bool](`document.querySelector('[data-test=gen-create]').disabled`)) {
		t.Fatal("create is enabled before a preview")
	}
	// With one community it is chosen already; once another test has added
	// one, none is, and the empty choice is named next to its field too.
	var comms struct {
		Total int `json:"total"`
	}
	apiMust(t, tok, "GET", "/api/v1/communities", nil, 200, &comms)
	if comms.Total > 1 {
		b.waitText(`[data-test=gen-item-community] .el-form-item__error`, "community_id 不能为空")
	}
	serviceChoose(b, `[data-test=gen-community]`, "阳光花园")
	b.run(
		chromedp.SendKeys(css(`input[name=gen-name]`), name),
		chromedp.SendKeys(css(`input[name=gen-layout]`), "2室1厅"),
		chromedp.SendKeys(css(`input[name=gen-area]`), "88.50"),
		chromedp.Click(css(`[data-test=gen-preview-btn]`)),
	)
	// Default: 2 units × 6 floors × 2 rooms.
	b.waitText(`[data-test=gen-preview]`, "共 24 套房屋")
	b.waitText(`[data-test=gen-sample]`, "602")
	b.shot("generate-preview")
	b.run(chromedp.Click(css(`[data-test=gen-create]`)), chromedp.WaitNotVisible(css(`input[name=gen-name]`)))
	b.waitText(`[data-test=map-title]`, name)
	b.waitText(`[data-test=map-summary]`, "共 24 套房屋")
	if n := b.count(`[data-test=room-cell]`); n != 24 {
		t.Fatalf("the map shows %d rooms", n)
	}
	b.waitText(`[data-test=compound-tree]`, name) // the tree reloaded the community

	// The API has the building with its 24 rooms.
	var bs struct {
		Items []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	propertyGet(t, tok, "/api/v1/buildings?"+url.Values{"q": {name}}.Encode(), &bs)
	if len(bs.Items) != 1 || bs.Items[0].Name != name {
		t.Fatalf("buildings named %s: %+v", name, bs.Items)
	}
	if n := propertyTotal(t, tok, "/api/v1/rooms", url.Values{"building_id": {bs.Items[0].ID}}); n != 24 {
		t.Fatalf("the API has %d rooms in %s", n, name)
	}
	b.shot("room-map-new")

	// A room of it: its file.
	b.clickFor(`[data-test=unit-block]:first-child [data-room="601"]`, `[data-test=room-title]`)
	b.waitText(`[data-test=room-title]`, name)
	b.waitText(`[data-test=room-title]`, "601")
	if p := b.location(); !strings.HasPrefix(p, "/console/rooms/") {
		t.Fatalf("a room click went to %s", p)
	}
	b.waitText(`[data-test=room-status]`, "空置")

	// A demo building: rooms that owe money are marked; one's file shows what it owes.
	var aging struct {
		Items []struct {
			Key   string `json:"key"`
			Total int64  `json:"total"`
		} `json:"items"`
	}
	propertyGet(t, tok, "/api/v1/billing/aging?group_by=room", &aging)
	if len(aging.Items) == 0 {
		t.Fatal("the demo has no arrears")
	}
	var room struct {
		BuildingID string `json:"building_id"`
		Number     string `json:"number"`
	}
	propertyGet(t, tok, "/api/v1/rooms/"+aging.Items[0].Key, &room)
	b.run(chromedp.Navigate(server.base+"/console/compound?building="+room.BuildingID), chromedp.WaitVisible(css(`[data-test=room-cell]`)))
	owes := fmt.Sprintf(`[data-test=room-cell][data-owes=yes][data-room="%s"]`, room.Number)
	b.run(chromedp.WaitVisible(css(owes)))
	b.shot("room-map-arrears")
	b.clickFor(owes, `[data-test=room-outstanding]`)
	want := fmt.Sprintf("%d.%02d", aging.Items[0].Total/100, aging.Items[0].Total%100)
	got := strings.ReplaceAll(runValue(b, chromedp.Text(css(`[data-test=room-outstanding]`))), ",", "")
	if !strings.Contains(got, want) {
		t.Fatalf("room %s owes %q on its file, the API says %s", room.Number, got, want)
	}
	b.clickFor(`.el-tabs__item#tab-bills`, `[data-test=room-bills] .el-table__row`)
	b.shot("room-file")
}

// TestPropertyResidentReveal: the admin finds a resident by the last four
// digits of the phone (masked in the list), opens the person and reveals the
// full number; the reveal is in the audit log.
func TestPropertyResidentReveal(t *testing.T) {
	tok := login(t, "admin")
	var persons struct {
		Items []struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Phone string `json:"phone"`
		} `json:"items"`
	}
	propertyGet(t, tok, "/api/v1/persons?page_size=50", &persons)
	var id, name, last4 string
	for _, p := range persons.Items {
		if len(p.Phone) >= 4 && strings.Contains(p.Phone, "*") && !strings.HasPrefix(p.Name, "测试住户") {
			id, name, last4 = p.ID, p.Name, p.Phone[len(p.Phone)-4:]
			break
		}
	}
	if id == "" {
		t.Fatal("no demo person with a phone")
	}
	var pii struct {
		Phones []struct {
			Number string `json:"number"`
		} `json:"phones"`
	}
	propertyGet(t, tok, "/api/v1/persons/"+id+"/pii", &pii)
	if len(pii.Phones) == 0 {
		t.Fatal("no phone revealed by the API")
	}
	full := pii.Phones[0].Number

	b := newBrowser(t, 1366, 860, false)
	b.signIn("admin")
	b.run(chromedp.Navigate(server.base+"/console/residents"), chromedp.WaitVisible(css(`.el-table-v2__row`)))
	b.run(chromedp.SendKeys(css(`input[name=q]`), last4), chromedp.Click(css(`form.search button`)))
	b.waitText(`.el-table-v2__body`, name)
	b.waitText(`.el-table-v2__body`, "****"+last4)
	b.shot("residents-last4")
	clicked := runValue(b, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const row = [...document.querySelectorAll('.el-table-v2__row')].find((r) => r.innerText.includes(%q))
		const btn = row && row.querySelector('[data-test=person-detail]')
		if (btn) btn.click()
		return !!btn
	})()`, name)))
	if !clicked {
		t.Fatalf("no detail button on %s's row", name)
	}
	b.run(chromedp.WaitVisible(css(`[data-test=person-phones]`)))
	b.waitText(`[data-test=person-phones]`, "****"+last4)
	time.Sleep(600 * time.Millisecond) // the drawer slides in: a click while it moves lands beside the button
	b.clickFor(`[data-test=reveal-pii]`, `[data-test=pii-revealed]`)
	b.waitText(`[data-test=person-phones]`, full)
	b.shot("person-revealed")

	// The reveal (this one, by the admin, of this person) is in the audit log.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var audit struct {
			Items []struct {
				ActorName string `json:"actor_name"`
				Object    string `json:"object"`
			} `json:"items"`
		}
		propertyGet(t, tok, "/api/v1/audit?action=resident.pii.reveal&page_size=50", &audit)
		n := 0
		for _, a := range audit.Items {
			if a.Object == "person/"+id && a.ActorName == "admin" {
				n++
			}
		}
		if n >= 2 { // the test's own API call and the browser's
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reveals of person/%s in the audit log, want 2", n, id)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// propertyGet GETs an API path with a token and decodes the JSON answer.
func propertyGet(t *testing.T, tok, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", server.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// propertyTotal is the total of a list route's page.
func propertyTotal(t *testing.T, tok, path string, q url.Values) int {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("page_size", "1")
	var p struct {
		Total int `json:"total"`
	}
	propertyGet(t, tok, path+"?"+q.Encode(), &p)
	return p.Total
}
