package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestResidentOpensPluginPage: a resident (no plugin.use) learns the H5 pages
// of the enabled plugins from GET /api/v1/me/plugin-pages, and the H5 loads
// the events plugin's declared bundle (my-events.js) and mounts it; a page of
// no enabled plugin says so.
func TestResidentOpensPluginPage(t *testing.T) {
	eventsPlugin(t)
	code, out := residentCall(t, "resident", "GET", "/api/v1/me/plugin-pages", nil)
	found := false
	for _, x := range out["items"].([]any) {
		p := x.(map[string]any)
		if p["plugin"] == "events" && p["id"] == "my-events" && p["surface"] == "h5" {
			found = true
		}
		if p["surface"] == "console" {
			t.Errorf("a resident is offered the console page %v", p["id"])
		}
	}
	if code != 200 || !found {
		t.Fatalf("my plugin pages: %d %v", code, out)
	}
	b := newBrowser(t, 375, 667, true)
	b.signIn("resident")
	b.run(chromedp.Navigate(server.base+"/h5/plugins/events/my-events"), chromedp.WaitVisible(css(`[data-test=plugin-page-events] h3`)))
	b.waitText(`[data-test=plugin-page-events]`, "社区活动")
	b.waitText(`[data-test=plugin-page-events]`, "灯笼")
	b.shot("resident-plugin-page")
	b.run(chromedp.Navigate(server.base+"/h5/plugins/nosuch/page"), chromedp.WaitVisible(css(`.van-empty`)))
	b.waitText(`.van-empty`, "没有找到")
}
