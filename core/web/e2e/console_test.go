package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAdminSignsInAndOut: the admin lands on the staff console with the full
// menu, and signing out returns to the sign-in page.
func TestAdminSignsInAndOut(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.signIn("admin")
	if p := b.location(); p != "/console" {
		t.Fatalf("admin landed on %s", p)
	}
	b.waitText(`[data-test=side-menu]`, "住户")
	b.waitText(`[data-test=side-menu]`, "楼栋")
	b.run(chromedp.WaitVisible(css(`[data-test=orders-chart] canvas`))) // ECharts, loaded by this page only
	b.shot("console-home")
	b.clickFor(`[data-test=sign-out]`, `input[name=login]`)
	if p := b.location(); p != "/login" {
		t.Fatalf("after sign-out at %s", p)
	}
}

// TestManagerListPagesAndSearches: the residents list pages on the server
// and its search box filters; numbers are masked.
func TestManagerListPagesAndSearches(t *testing.T) {
	addPersons(t, 30) // the demo has a handful: enough for two pages of 20
	b := newBrowser(t, 1366, 860, false)
	b.signIn("manager")
	b.clickFor(`[data-test="menu:/console/residents"]`, `.el-table-v2__row`)
	b.waitText(`[data-test=pager]`, "共")
	first := b.count(`.el-table-v2__row`)
	if first == 0 {
		t.Fatal("no rows on the first page")
	}
	b.waitText(`.el-table-v2__body`, "****") // phones come masked
	b.shot("residents-page-1")
	// The virtual table draws only the rows in view; the pager counts them all.
	b.waitText(`[data-test=pager]`, "38")
	b.waitText(`[data-test=pager] .el-pager`, "2")
	b.run(chromedp.Click(css(`[data-test=pager] .btn-next`)))
	b.waitText(`[data-test=pager] .el-pager li.is-active`, "2")
	b.shot("residents-page-2")
	b.run(chromedp.SendKeys(css(`input[name=q]`), "陈建国"), chromedp.Click(css(`form.search button`)))
	b.waitText(`.el-table-v2__body`, "陈建国")
	deadline := time.Now().Add(stepTimeout)
	for b.count(`.el-table-v2__row`) != 1 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := b.count(`.el-table-v2__row`); n != 1 {
		t.Fatalf("search left %d rows", n)
	}
	b.shot("residents-search")
}

// TestBuildingFormFieldErrors: the API's field error shows next to its field,
// in Chinese and, after the switch, in English; what was typed stays.
func TestBuildingFormFieldErrors(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.expect(400, "/api/v1/buildings")
	b.signIn("admin")
	b.run(chromedp.Navigate(server.base+"/console/buildings"), chromedp.WaitVisible(css(`[data-test=new-building]`)))
	b.clickFor(`[data-test=new-building]`, `textarea[name=notes]`)
	b.choose(`[data-test=field-community]`, `.el-select-dropdown__item[data-test="community-opt-阳光花园"]`, "阳光花园")
	b.run(chromedp.SendKeys(css(`textarea[name=notes]`), "东门旁边"), chromedp.Click(css(`[data-test=building-submit]`)))
	b.waitText(`[data-test=item-name] .el-form-item__error`, "name 不能为空")
	b.shot("field-error-zh")
	// Close the dialog, switch to English, open it again: same form, English error.
	b.run(chromedp.Click(css(`.el-dialog__headerbtn`)), chromedp.WaitNotVisible(css(`textarea[name=notes]`)))
	b.switchLang(`.top [data-test=lang-switch]`)
	b.waitText(`[data-test=new-building]`, "New building")
	b.clickFor(`[data-test=new-building]`, `textarea[name=notes]`)
	b.waitText(`[data-test=item-name] .el-form-item__error`, "name is required")
	b.shot("field-error-en")
	if v := b.value(`textarea[name=notes]`); v != "东门旁边" {
		t.Fatalf("notes after the error: %q", v)
	}
}

// TestSessionExpiryKeepsTypedText: the manager's sessions end (a password
// change elsewhere); saving the half-filled form asks for the password over
// the page, then sends the form as typed.
func TestSessionExpiryKeepsTypedText(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.expect(401, "/api/v1/buildings")
	b.signIn("manager")
	b.run(chromedp.Navigate(server.base+"/console/buildings"), chromedp.WaitVisible(css(`[data-test=new-building]`)))
	b.clickFor(`[data-test=new-building]`, `input[name=name]`)
	b.choose(`[data-test=field-community]`, `.el-select-dropdown__item[data-test="community-opt-阳光花园"]`, "阳光花园")
	name := fmt.Sprintf("E2E-%d栋", time.Now().UnixNano()%100000)
	b.run(chromedp.SendKeys(css(`input[name=name]`), name), chromedp.SendKeys(css(`textarea[name=notes]`), "会话过期也不丢"))

	// Elsewhere, the manager changes the password: every session ends.
	newPW := "Kept-Typing-2026x"
	changePassword(t, "manager", newPW)

	b.run(chromedp.Click(css(`[data-test=building-submit]`)), chromedp.WaitVisible(css(`[data-test=session-expired]`)))
	if v := b.value(`input[name=name]`); v != name {
		t.Fatalf("name under the dialog: %q", v)
	}
	b.shot("session-expired")
	b.run(chromedp.SendKeys(css(`[data-test=reauth-password]`), newPW), chromedp.Click(css(`[data-test=reauth-submit]`)))
	b.run(chromedp.WaitNotPresent(css(`[data-test=session-expired]`)))
	b.waitText(`[data-test=buildings-table]`, name)
	b.shot("saved-after-reauth")
}

// changePassword changes a demo user's password through the API, which ends
// all their sessions, and remembers the new one.
func changePassword(t *testing.T, user, pw string) {
	t.Helper()
	tok := login(t, user)
	body, _ := json.Marshal(map[string]string{"old_password": server.password[user], "new_password": pw})
	req, _ := http.NewRequest("POST", server.base+"/api/v1/auth/password", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("password change: %d", res.StatusCode)
	}
	server.password[user] = pw
	time.Sleep(1100 * time.Millisecond) // tokens issued in the same second as the revocation are refused too
}

// addPersons registers n residents through the API as the admin.
func addPersons(t *testing.T, n int) {
	t.Helper()
	tok := login(t, "admin")
	for i := range n {
		body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("测试住户%02d", i), "gender": "female", "birth_date": "", "id_number": "",
			"id_type": "", "notes": "", "phones": []map[string]string{{"number": fmt.Sprintf("139%08d", 10000000+i)}}, "emergency_contacts": []any{}})
		req, _ := http.NewRequest("POST", server.base+"/api/v1/persons", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 201 {
			t.Fatalf("add person: %d %s", res.StatusCode, msg)
		}
	}
}

func login(t *testing.T, user string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"login": user, "password": server.password[user], "tenant": server.tenant})
	res, err := httpClient.Post(server.base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil || s.AccessToken == "" {
		t.Fatalf("login %s: %d %v", user, res.StatusCode, err)
	}
	return s.AccessToken
}

// TestResidentH5: a resident lands on the phone-sized H5 with a tab bar and
// sees their rooms.
func TestResidentH5(t *testing.T) {
	b := newBrowser(t, 375, 667, true)
	b.signIn("resident")
	if p := b.location(); p != "/h5" {
		t.Fatalf("resident landed on %s", p)
	}
	b.run(chromedp.WaitVisible(css(`[data-test=my-room]`)))
	b.waitText(`[data-test=my-room]`, "陈建国")
	b.shot("resident-home")
	b.clickFor(`[data-test=tabbar] .van-tabbar-item:nth-child(2)`, `[data-test=sign-out]`)
	b.switchLang(`[data-test=lang-switch]`)
	b.waitText(`[data-test=tabbar]`, "Me")
	b.shot("resident-me-en")
}

// TestTechnicianH5: a technician lands on the technician H5.
func TestTechnicianH5(t *testing.T) {
	b := newBrowser(t, 375, 667, true)
	b.signIn("technician")
	if p := b.location(); p != "/tech" {
		t.Fatalf("technician landed on %s", p)
	}
	b.waitText(`[data-test=tabbar]`, "我的工单")
	b.shot("technician-orders")
}

// TestOperatorTenants: the operator signs in at its own door, creates a
// tenant, suspends it with a reason and resumes it.
func TestOperatorTenants(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.run(
		chromedp.Navigate(server.base+"/operator/login"),
		chromedp.WaitVisible(css(`input[name=login]`)),
		chromedp.SendKeys(css(`input[name=login]`), "operator"),
		chromedp.SendKeys(css(`input[name=password]`), server.password["operator"]),
		chromedp.Click(css(`[data-test=signin-submit]`)),
		chromedp.WaitVisible(css(`[data-test=tenants-table]`)),
	)
	b.waitText(`[data-test=tenants-table]`, server.tenant)
	b.shot("operator-tenants")

	code := fmt.Sprintf("e2e%d", time.Now().UnixNano()%1000000)
	b.clickFor(`[data-test=new-tenant]`, `input[name=code]`)
	b.run(
		chromedp.SendKeys(css(`input[name=code]`), code),
		chromedp.SendKeys(css(`input[name=tname]`), "测试物业 "+code),
		chromedp.SendKeys(css(`input[name=admin_name]`), "王管理"),
		chromedp.Click(css(`[data-test=tenant-submit]`)),
		chromedp.WaitVisible(css(`[data-test=generated-password]`)),
	)
	b.waitText(`[data-test=tenants-table]`, code)
	b.shot("operator-tenant-created")
	b.clickFor(`[data-test=suspend-`+code+`]`, `textarea[name=reason]`)
	b.run(chromedp.SendKeys(css(`textarea[name=reason]`), "欠费停用"), chromedp.Click(css(`[data-test=suspend-submit]`)))
	b.run(chromedp.WaitVisible(css(`[data-test=resume-` + code + `]`)))
	b.waitText(`[data-test=tenants-table]`, "欠费停用")
	b.shot("operator-tenant-suspended")
	b.clickFor(`[data-test=resume-`+code+`]`, `[data-test=suspend-`+code+`]`)
	if strings.Contains(runValue(b, chromedp.Text(css(`[data-test=tenants-table]`))), "欠费停用") {
		t.Fatal("the reason is still shown after resuming")
	}
}

// TestLostConnectionSaysSo: when the server cannot be reached the page says
// so and keeps the search text; the banner goes once answers come back.
func TestLostConnectionSaysSo(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.expect(0, "/api/v1/persons")
	b.signIn("frontdesk")
	b.run(chromedp.Navigate(server.base+"/console/residents"), chromedp.WaitVisible(css(`.el-table-v2__row`)))
	b.block("*://*:*/api/v1/persons*")
	b.run(chromedp.SendKeys(css(`input[name=q]`), "陈"), chromedp.Click(css(`form.search button`)))
	b.waitText(`[data-test=offline]`, "无法连接服务器")
	b.shot("offline")
	if v := b.value(`input[name=q]`); v != "陈" {
		t.Fatalf("search text after the failure: %q", v)
	}
	b.block()
	b.run(chromedp.Click(css(`form.search button`)), chromedp.WaitNotPresent(css(`[data-test=offline]`)))
	b.waitText(`.el-table-v2__body`, "陈")
}
