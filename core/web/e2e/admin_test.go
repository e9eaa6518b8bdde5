package e2e_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAdminRoleMatrixAndUser: the admin creates a custom role, ticks its
// permissions in the matrix and saves it; creates a user holding it; the
// audit log shows both. The API confirms each step.
func TestAdminRoleMatrixAndUser(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.signIn("admin")
	role := fmt.Sprintf("e2e_night_%d", time.Now().UnixNano()%1000000)

	// The matrix: built-in roles are read-only.
	b.run(chromedp.Navigate(server.base+"/console/roles"), chromedp.WaitVisible(css(`[data-test=role-matrix] [data-test=role-col-admin]`)))
	if n := b.count(`[data-test=role-matrix] input[data-role=admin]:not([disabled])`); n != 0 {
		t.Fatalf("%d editable checkboxes in the built-in admin column", n)
	}
	b.clickFor(`[data-test=new-role]`, `input[name=role_name]`)
	b.run(
		chromedp.SendKeys(css(`input[name=role_name]`), role),
		chromedp.SendKeys(css(`input[name=role_description]`), "夜班前台"),
		chromedp.Click(css(`[data-test=role-submit]`)),
		chromedp.WaitVisible(css(`[data-test=role-col-`+role+`]`)),
	)
	for _, p := range []string{"resident.read", "property.read"} {
		// A click in the page: the matrix scrolls under its sticky header and first column.
		sel := fmt.Sprintf(`input[data-perm=%q][data-role=%q]`, p, role)
		b.run(chromedp.WaitVisible(css(sel)))
		runValue(b, chromedp.Evaluate[bool](fmt.Sprintf(`(document.querySelector(%q).click(), true)`, sel)))
	}
	b.run(chromedp.WaitVisible(css(`[data-test=save-role-` + role + `]`)))
	b.idle()
	b.shot("role-matrix")
	b.clickFor(`[data-test=save-role-`+role+`]`, `[data-test=delete-role-`+role+`]`)
	tok := login(t, "admin")
	var roles struct {
		Items []struct {
			ID          string   `json:"id"`
			Name        string   `json:"name"`
			Permissions []string `json:"permissions"`
		} `json:"items"`
	}
	adminAPI(t, tok, "GET", "/api/v1/roles", nil, &roles)
	roleID := ""
	for _, r := range roles.Items {
		if r.Name == role {
			roleID = r.ID
			if !slices.Equal(r.Permissions, []string{"property.read", "resident.read"}) {
				t.Fatalf("role %s saved with %v", role, r.Permissions)
			}
		}
	}
	if roleID == "" {
		t.Fatalf("role %s is not in the API's list", role)
	}

	// A new user holding the role.
	user := fmt.Sprintf("e2e_u%d", time.Now().UnixNano()%1000000)
	b.run(chromedp.Navigate(server.base+"/console/users"), chromedp.WaitVisible(css(`[data-test=users-table]`)))
	b.waitText(`[data-test=users-table]`, "admin")
	b.clickFor(`[data-test=new-user]`, `input[name=username]`)
	b.run(
		chromedp.SendKeys(css(`input[name=username]`), user),
		chromedp.SendKeys(css(`input[name=name]`), "夜班小李"),
		chromedp.SendKeys(css(`input[name=password]`), "Night-Shift-2026x"),
		chromedp.Click(css(`[data-test=new-role-`+role+`]`)),
	)
	b.idle()
	b.shot("user-new")
	b.run(chromedp.Click(css(`[data-test=user-submit]`)), chromedp.WaitNotVisible(css(`input[name=username]`)))
	b.run(chromedp.SendKeys(css(`input[name=q]`), user+"\r"))
	b.waitText(`[data-test=users-table]`, "夜班小李")
	b.idle()
	b.shot("users")
	var users struct {
		Items []struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"items"`
	}
	adminAPI(t, tok, "GET", "/api/v1/users?q="+url.QueryEscape(user), nil, &users)
	if len(users.Items) != 1 {
		t.Fatalf("users named %s: %+v", user, users.Items)
	}
	var held struct {
		Roles []string `json:"roles"`
	}
	adminAPI(t, tok, "GET", "/api/v1/users/"+users.Items[0].ID+"/roles", nil, &held)
	if !slices.Equal(held.Roles, []string{role}) {
		t.Fatalf("%s holds %v, want [%s]", user, held.Roles, role)
	}

	// The audit log shows the role's change and the assignment.
	b.run(chromedp.Navigate(server.base+"/console/audit"), chromedp.WaitVisible(css(`[data-test=audit-table]`)))
	b.run(chromedp.SendKeys(css(`input[name=action]`), "role."), chromedp.Click(css(`[data-test=audit-search]`)))
	b.waitText(`[data-test=audit-table]`, "/api/v1/users/"+users.Items[0].ID+"/roles")
	b.waitText(`[data-test=audit-table]`, "/api/v1/roles\n")
	var entries struct {
		Items []struct {
			ObjectID string `json:"object_id"`
			Route    string `json:"route"`
		} `json:"items"`
	}
	adminAPI(t, tok, "GET", "/api/v1/audit?action=role.&page_size=50", nil, &entries)
	if !slices.ContainsFunc(entries.Items, func(e struct {
		ObjectID string `json:"object_id"`
		Route    string `json:"route"`
	}) bool {
		return e.ObjectID == roleID
	}) {
		t.Fatalf("no audit entry for the role %s: %+v", roleID, entries.Items)
	}
	b.idle()
	b.shot("audit")
	b.clickFor(`[data-test=audit-table] [data-test=audit-view]`, `[data-test=audit-detail]`)
	b.waitText(`[data-test=audit-detail]`, "role.manage")
	b.idle()
	b.shot("audit-detail")

	// English: the same screens switch.
	b.run(chromedp.Click(css(`.el-drawer__close-btn`)))
	adminNoDialog(b)
	b.switchLang(`.top [data-test=lang-switch]`)
	b.waitText(`[data-test=side-menu]`, "Audit log")
	b.waitText(`[data-test=audit-table]`, "Actor")
}

// TestAdminEventsPluginPage: with the events plugin registered (built here,
// as `make build` does) the demo's declaration enables it; its console page
// appears in the menu and loads its bundle, which draws its table.
func TestAdminEventsPluginPage(t *testing.T) {
	eventsPlugin(t)
	b := newBrowser(t, 1366, 860, false)
	b.signIn("admin")
	b.run(chromedp.WaitVisible(css(`[data-test=menu-plugin-events-activities]`))) // its section opens by itself
	b.clickFor(`[data-test=menu-plugin-events-activities]`, `[data-test=plugin-page-events] table`)
	b.waitText(`[data-test=plugin-page-events] table`, "报名 / 名额")
	if n := b.count(`[data-test=plugin-page-events] table tr`); n < 2 {
		t.Fatalf("the events page has %d rows", n)
	}
	b.idle()
	b.shot("plugin-events")
	// The page follows the language.
	b.switchLang(`.top [data-test=lang-switch]`)
	b.waitText(`[data-test=plugin-page-events] table`, "Signed up / seats")
	b.switchLang(`.top [data-test=lang-switch]`)
	// The organisation's plugins, with the page listed.
	b.run(chromedp.Navigate(server.base+"/console/plugins"), chromedp.WaitVisible(css(`[data-test=plugin-pages]`)))
	b.waitText(`[data-test=plugins-table]`, "events")
	b.waitText(`[data-test=plugins-used]`, "已启用")
	b.idle()
	b.shot("plugins")
}

// TestAdminOperatorSuspendSignsOutStaff: the operator creates a tenant,
// changes its plan, and suspends it while its administrator has the console
// open: the administrator's next request ends on the sign-in page with the
// reason. After resuming, they sign in again. Queue health is shown.
func TestAdminOperatorSuspendSignsOutStaff(t *testing.T) {
	op := newBrowser(t, 1366, 860, false)
	adminOperatorSignIn(op)

	code := fmt.Sprintf("adm%d", time.Now().UnixNano()%1000000)
	op.run(chromedp.Click(css(`[data-test=new-tenant]`)), chromedp.WaitVisible(css(`input[name=code]`)))
	op.run(
		chromedp.SendKeys(css(`input[name=code]`), code),
		chromedp.SendKeys(css(`input[name=tname]`), "停用测试物业 "+code),
		chromedp.SendKeys(css(`input[name=admin_name]`), "赵管理"),
		chromedp.Click(css(`[data-test=tenant-submit]`)),
		chromedp.WaitVisible(css(`[data-test=generated-password]`)),
	)
	line := runValue(op, chromedp.Text(css(`[data-test=generated-password]`)))
	_, password, ok := strings.Cut(line, ": ")
	if !ok {
		t.Fatalf("generated password line %q", line)
	}
	password = strings.TrimSpace(password)
	op.waitText(`[data-test=tenants-table]`, code)

	// Change the plan to another one.
	otk := adminOperatorToken(t)
	var tenants struct {
		Items []struct{ ID, Code, Plan string } `json:"items"`
	}
	adminAPI(t, otk, "GET", "/api/v1/operator/tenants?q="+code, nil, &tenants)
	if len(tenants.Items) != 1 {
		t.Fatalf("tenants %s: %+v", code, tenants.Items)
	}
	id, from := tenants.Items[0].ID, tenants.Items[0].Plan
	var plans struct {
		Items []struct{ Code string } `json:"items"`
	}
	adminAPI(t, otk, "GET", "/api/v1/operator/plans", nil, &plans)
	to := ""
	for _, p := range plans.Items {
		if p.Code != from {
			to = p.Code
		}
	}
	if to == "" {
		t.Fatalf("only one plan: %+v", plans.Items)
	}
	op.clickFor(`[data-test=plan-`+code+`]`, `[data-test=plan-option-`+to+`]`)
	op.run(chromedp.Click(css(`[data-test=plan-option-` + to + `]`)))
	op.idle()
	op.shot("operator-plan")
	op.run(chromedp.Click(css(`[data-test=plan-submit]`)), chromedp.WaitNotVisible(css(`[data-test=plan-submit]`)))
	var ov struct {
		Tenant struct{ Plan string } `json:"tenant"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for adminAPI(t, otk, "GET", "/api/v1/operator/tenants/"+id, nil, &ov); ov.Tenant.Plan != to && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		adminAPI(t, otk, "GET", "/api/v1/operator/tenants/"+id, nil, &ov)
	}
	if ov.Tenant.Plan != to {
		t.Fatalf("plan after the change: %s, want %s", ov.Tenant.Plan, to)
	}
	adminNoDialog(op) // the plan dialog has gone
	op.idle()         // and the list has reloaded
	op.clickFor(`[data-test=detail-`+code+`]`, `[data-test=tenant-quotas]`)
	op.waitText(`[data-test=tenant-quotas]`, "用户")
	op.idle()
	op.shot("operator-tenant-detail")
	op.run(chromedp.Click(css(`.el-drawer__close-btn`)), chromedp.WaitNotVisible(css(`[data-test=tenant-quotas]`)))

	// The tenant's administrator works in the console.
	staff := newBrowser(t, 1366, 860, false)
	staff.expect(403, "/api/v1/")
	staff.run(
		chromedp.Navigate(server.base+"/login"),
		chromedp.WaitVisible(css(`input[name=login]`)),
		chromedp.SendKeys(css(`input[name=tenant]`), code),
		chromedp.SendKeys(css(`input[name=login]`), "admin"),
		chromedp.SendKeys(css(`input[name=password]`), password),
		chromedp.Click(css(`[data-test=signin-submit]`)),
		chromedp.WaitVisible(css(`[data-test=welcome]`)),
	)
	staff.run(chromedp.Navigate(server.base+"/console/users"), chromedp.WaitVisible(css(`[data-test=users-table]`)))
	staff.waitText(`[data-test=users-table]`, "赵管理")

	// Suspended with a reason, while that console is open.
	op.clickFor(`[data-test=suspend-`+code+`]`, `textarea[name=reason]`)
	op.run(chromedp.SendKeys(css(`textarea[name=reason]`), "合同到期未续费"), chromedp.Click(css(`[data-test=suspend-submit]`)))
	op.run(chromedp.WaitVisible(css(`[data-test=resume-` + code + `]`)))
	op.waitText(`[data-test=tenants-table]`, "合同到期未续费")
	op.idle()
	op.shot("operator-suspended")

	// The administrator's next request: signed out, told why.
	staff.run(chromedp.Click(css(`[data-test=side-menu] [data-test=menu-admin\.menu\.group] .el-menu-item:nth-child(3)`)))
	staff.run(chromedp.WaitVisible(css(`[data-test=signin-notice]`)))
	staff.waitText(`[data-test=signin-notice]`, "暂停")
	if p := staff.location(); p != "/login" {
		t.Fatalf("the suspended tenant's admin is at %s", p)
	}
	if s := runValue(staff, chromedp.Evaluate[string](`localStorage.getItem('wuye.session') || ''`)); s != "" {
		t.Fatalf("the session is still kept: %s", s)
	}
	staff.idle()
	staff.shot("staff-signed-out")

	// Resumed: they sign in again.
	op.clickFor(`[data-test=resume-`+code+`]`, `[data-test=suspend-`+code+`]`)
	staff.run(
		chromedp.SendKeys(css(`input[name=login]`), "admin"),
		chromedp.SendKeys(css(`input[name=password]`), password),
		chromedp.Click(css(`[data-test=signin-submit]`)),
		chromedp.WaitVisible(css(`[data-test=welcome]`)),
	)

	// Queue health, the plugin catalogue and the platform audit.
	op.run(chromedp.Navigate(server.base+"/operator/queue"), chromedp.WaitVisible(css(`[data-test=queue-stats] .el-table__row`)))
	op.idle()
	op.shot("operator-queue")
	op.run(chromedp.Navigate(server.base+"/operator/audit"), chromedp.WaitVisible(css(`[data-test=audit-table] .el-table__row`)))
	op.waitText(`[data-test=audit-table]`, "tenant")
	op.idle()
	op.shot("operator-audit")
}

// adminNoDialog waits until no dialog or drawer (nor its fading overlay) shows.
func adminNoDialog(b *browser) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		n := runValue(b, chromedp.Evaluate[int](`[...document.querySelectorAll('.el-overlay')].filter((e) => getComputedStyle(e).display !== 'none').length`))
		if n == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatal("a dialog is still open after 30 s")
}

// adminOperatorSignIn signs the platform operator in at its own door.
func adminOperatorSignIn(b *browser) {
	b.t.Helper()
	b.run(
		chromedp.Navigate(server.base+"/operator/login"),
		chromedp.WaitVisible(css(`input[name=login]`)),
		chromedp.SendKeys(css(`input[name=login]`), "operator"),
		chromedp.SendKeys(css(`input[name=password]`), server.password["operator"]),
		chromedp.Click(css(`[data-test=signin-submit]`)),
		chromedp.WaitVisible(css(`[data-test=tenants-table]`)),
	)
}

// adminOperatorToken signs the operator in through the API.
func adminOperatorToken(t *testing.T) string {
	t.Helper()
	var s struct {
		AccessToken string `json:"access_token"`
	}
	adminAPI(t, "", "POST", "/api/v1/operator/auth/login", map[string]string{"login": "operator", "password": server.password["operator"]}, &s)
	return s.AccessToken
}

// adminAPI calls the API; an answer other than 2xx fails the test.
func adminAPI(t *testing.T, token, method, path string, body, out any) {
	t.Helper()
	apiMust(t, token, method, path, body, 0, out)
}

// adminPluginWarm waits until the plugin's process has started and answers
// (a cold start on a loaded machine can outlast one call's timeout).
func adminPluginWarm(t *testing.T, name, path string) string {
	t.Helper()
	tok := login(t, "admin")
	var last string
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		req, _ := http.NewRequest("GET", server.base+"/api/v1/plugins/"+name+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := httpClient.Do(req)
		if err != nil {
			last = err.Error()
			continue
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode == 200 {
			return ""
		}
		last = res.Status
	}
	return "the " + name + " plugin does not answer: " + last
}
