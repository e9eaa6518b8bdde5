package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// TestImportsResidentsFixAndRetry: the manager downloads the residents
// template, uploads a file with a bad row (a room the tenant does not have),
// sees the problem beside that row in Chinese and then in English, fixes the
// cell in the page, checks again and imports; the resident exists in the API.
func TestImportsResidentsFixAndRetry(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	downloads := t.TempDir()
	b.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}))
	b.signIn("manager")
	b.run(chromedp.Navigate(server.base+"/console/imports"), chromedp.WaitVisible(css(`[data-test=kind-residents]`)))
	b.shot("imports-kinds")
	b.clickFor(`[data-test=kind-residents]`, `[data-test=download-template]`)

	// The template: the page fetched it with the session (200, an .xlsx) and saved it.
	b.run(chromedp.Click(css(`[data-test=download-template]`)), chromedp.WaitVisible(css(`[data-test=downloaded]`)))
	b.waitText(`[data-test=downloaded]`, "residents-template.xlsx")
	if ct := runValue(b, chromedp.Evaluate[string](`document.querySelector('[data-test=downloaded]').dataset.contentType`)); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("template content type %q", ct)
	}
	status := runValue(b, chromedp.Evaluate[int](`(performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/imports/residents/template')).pop() || {}).responseStatus || 0`))
	if status != 200 {
		t.Fatalf("template answered %d", status)
	}
	importsWaitFile(t, filepath.Join(downloads, "residents-template.xlsx"), "PK")
	b.shot("imports-template")

	// A file of two rows; row 3 names a room the tenant does not have.
	n := time.Now().UnixNano() % 100000000
	good, bad := fmt.Sprintf("导入甲%d", n), fmt.Sprintf("导入乙%d", n)
	csv := "name,phone,community,building,unit,room,role,move_in\n" +
		fmt.Sprintf("%s,137%08d,阳光花园,1栋,1单元,101,家属,2024-01-01\n", good, n) +
		fmt.Sprintf("%s,136%08d,阳光花园,1栋,1单元,9909,租户,2024-02-01\n", bad, n)
	file := filepath.Join(t.TempDir(), "residents.csv")
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.SetUploadFiles(css(`input[data-test=import-file]`), []string{file}), chromedp.WaitVisible(css(`[data-test=import-rows]`)))
	b.waitText(`[data-test=import-summary]`, "2 行中有 1 行有错误")
	b.waitText(`[data-test=problems-3]`, "本租户没有房屋")
	b.waitText(`[data-test=problems-3]`, "房号")
	if v := b.value(`input[name=cell-3-room]`); v != "9909" {
		t.Fatalf("the bad row's room cell holds %q", v)
	}
	if b.count(`[data-test=row-2]`) != 0 {
		t.Fatal("the good row shows while only bad rows are asked for")
	}
	b.shot("imports-bad-row")
	// Nothing was written by the check.
	if n := importsCount(t, "/api/v1/persons?name="+url.QueryEscape(bad)); n != 0 {
		t.Fatalf("the dry run wrote %d persons", n)
	}

	// The message follows the language.
	b.switchLang(`.top [data-test=lang-switch]`)
	b.waitText(`[data-test=problems-3]`, "No room")
	b.waitText(`[data-test=import-rows] thead`, "Room")
	b.shot("imports-bad-row-en")

	// Fix the cell in the page and check again: all good; then import.
	b.run(chromedp.Focus(css(`input[name=cell-3-room]`)))
	runValue(b, chromedp.Evaluate[bool](`(document.querySelector('input[name=cell-3-room]').select(), true)`))
	b.run(
		chromedp.SendKeys(css(`input[name=cell-3-room]`), "102"),
		chromedp.Click(css(`[data-test=import-recheck]`)),
	)
	b.waitText(`[data-test=import-summary]`, "Check passed: 2 rows")
	b.shot("imports-fixed")
	b.run(chromedp.Click(css(`[data-test=import-commit]`)), chromedp.WaitVisible(css(`[data-test=import-done]`)))
	b.waitText(`[data-test=import-done-counts]`, "Residents")
	b.shot("imports-done")

	for _, name := range []string{good, bad} {
		if n := importsCount(t, "/api/v1/persons?name="+url.QueryEscape(name)); n != 1 {
			t.Fatalf("%s: %d persons after the import", name, n)
		}
	}
	var page struct {
		Items []struct {
			RoomIDs []string `json:"room_ids"`
		} `json:"items"`
	}
	importsGet(t, "/api/v1/persons?name="+url.QueryEscape(bad), &page)
	if len(page.Items) != 1 || len(page.Items[0].RoomIDs) != 1 {
		t.Fatalf("the fixed row's person %+v", page)
	}
}

// TestImportsEquipment: the register lists the demo's equipment; the
// maintenance calendar shows a demo plan on its due day and the overdue ones
// in red, and a click opens the asset; a new asset without a name shows the
// field error, then saves.
func TestImportsEquipment(t *testing.T) {
	b := newBrowser(t, 1366, 860, false)
	b.expect(400, "/api/v1/assets")
	b.signIn("manager")
	b.run(chromedp.Navigate(server.base+"/console/equipment"), chromedp.WaitVisible(css(`[data-test=assets-table]`)))
	b.waitText(`[data-test=assets-table]`, "1栋1单元电梯")
	b.waitText(`[data-test=pager]`, "共")
	importsSettle(b)
	b.shot("equipment-list")

	// A demo plan (the transformer's check, due in six days) on its day.
	var plans struct {
		Items []struct {
			ID      string `json:"id"`
			AssetID string `json:"asset_id"`
			Name    string `json:"name"`
			NextDue string `json:"next_due"`
			State   string `json:"state"`
		} `json:"items"`
	}
	importsGet(t, "/api/v1/maintenance-plans?page_size=200", &plans)
	var due, overdue, overdueDue, assetID, planID string
	for _, p := range plans.Items {
		if p.Name == "变压器巡检" {
			due, assetID, planID = p.NextDue, p.AssetID, p.ID
		}
		if p.State == "overdue" {
			overdue, overdueDue = p.Name, p.NextDue
		}
	}
	if due == "" || overdue == "" {
		t.Fatalf("demo plans %+v", plans.Items)
	}
	// This month: the overdue plans are listed, and red on their day.
	b.run(chromedp.Navigate(server.base+"/console/equipment/calendar"), chromedp.WaitVisible(css(`[data-test=maintenance-calendar]`)))
	b.waitText(`[data-test=overdue-list]`, overdue)
	if strings.HasPrefix(overdueDue, time.Now().Format("2006-01")) {
		b.waitText(`[data-test=day-`+overdueDue[:10]+`] .due.overdue`, overdue)
	}
	b.shot("equipment-calendar")
	// The month the transformer's check falls due in: the plan on its day.
	b.run(chromedp.Navigate(server.base+"/console/equipment/calendar?month="+due[:7]), chromedp.WaitVisible(css(`[data-test=maintenance-calendar]`)))
	b.waitText(`[data-test=day-`+due[:10]+`]`, "变压器巡检")
	b.shot("equipment-calendar-due")
	b.clickFor(`[data-test=day-`+due[:10]+`] [data-test=due-`+planID+`]`, `[data-test=asset-title]`)
	if p := b.location(); p != "/console/equipment/"+assetID {
		t.Fatalf("the plan opened %s", p)
	}
	b.waitText(`[data-test=asset-title]`, "1号变压器")
	b.waitText(`[data-test=plans-table]`, "变压器巡检")
	importsSettle(b)
	b.shot("equipment-asset")

	// A new asset: without a name the field error shows next to the field.
	code := fmt.Sprintf("E2E-%d", time.Now().UnixNano()%1000000)
	b.run(chromedp.Navigate(server.base+"/console/equipment"), chromedp.WaitVisible(css(`[data-test=new-asset]`)))
	b.clickFor(`[data-test=new-asset]`, `input[name=code]`)
	b.run(
		chromedp.SendKeys(css(`input[name=code]`), code),
		chromedp.SendKeys(css(`input[name=brand]`), "格力"),
	)
	importsPick(b, `[data-test=item-category]`, `[data-test=field-category]`, `[data-test=category-hvac]`, "暖通空调")
	b.run(chromedp.Click(css(`[data-test=asset-submit]`)))
	b.waitText(`[data-test=item-name] .el-form-item__error`, "设备名称不能为空")
	if v := b.value(`input[name=code]`); v != code {
		t.Fatalf("code after the error: %q", v)
	}
	b.shot("equipment-field-error")
	serviceChoose(b, `[data-test=field-community]`, "阳光花园") // none is chosen once another test adds a community
	b.run(chromedp.SendKeys(css(`input[name=name]`), "会所空调机组"), chromedp.Click(css(`[data-test=asset-submit]`)))
	b.waitText(`[data-test=asset-title]`, code)
	b.waitText(`[data-test=asset-info]`, "暖通空调")
	importsSettle(b)
	var assets struct {
		Total int `json:"total"`
		Items []struct {
			Name     string `json:"name"`
			Category string `json:"category"`
			Brand    string `json:"brand"`
		} `json:"items"`
	}
	importsGet(t, "/api/v1/assets?q="+url.QueryEscape(code), &assets)
	if assets.Total != 1 || assets.Items[0].Name != "会所空调机组" || assets.Items[0].Category != "hvac" || assets.Items[0].Brand != "格力" {
		t.Fatalf("the new asset %+v", assets)
	}
	b.shot("equipment-created")
}

// importsGet reads an API answer as the admin.
func importsGet(t *testing.T, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", server.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+login(t, "admin"))
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, buf.String())
	}
	if err := json.Unmarshal(buf.Bytes(), out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// importsCount is the total of a list answer.
func importsCount(t *testing.T, path string) int {
	t.Helper()
	var page struct {
		Total int `json:"total"`
	}
	importsGet(t, path, &page)
	return page.Total
}

// importsPick chooses an option of an el-select (its popper opens with an
// animation, so a click may land before it is ready: try again).
func importsPick(b *browser, item, field, option, want string) {
	b.t.Helper()
	for i := 0; i < 5; i++ {
		b.run(chromedp.Click(css(field)), chromedp.WaitVisible(css(option)))
		time.Sleep(300 * time.Millisecond)
		b.run(chromedp.Click(css(option)))
		time.Sleep(300 * time.Millisecond)
		if strings.Contains(runValue(b, chromedp.Text(css(item))), want) {
			return
		}
	}
	b.shot("failure")
	b.t.Fatalf("%s: could not choose %s", field, want)
}

// importsSettle waits until no loading mask covers the page (for a clean screenshot).
func importsSettle(b *browser) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for b.count(`.el-loading-mask`) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
}

// importsWaitFile waits for a downloaded file that starts with prefix.
func importsWaitFile(t *testing.T, path, prefix string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 && strings.HasPrefix(string(b), prefix) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no download at %s", path)
}
