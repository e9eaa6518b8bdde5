package e2e_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEveryRoleSignsIn: each of the demo's accounts signs in at the one door
// and lands where its role works — staff on the console with a menu cut to
// their permissions, technicians on the technician H5, the resident on the
// resident H5 (in a phone-sized window), the operator on its own console.
func TestEveryRoleSignsIn(t *testing.T) {
	cases := []struct {
		user     string
		mobile   bool
		landing  string
		has, not []string // menu entries shown and hidden (console only)
	}{
		{user: "admin", landing: "/console", has: []string{"/console/residents", "/console/buildings"}},
		{user: "manager", landing: "/console", has: []string{"/console/residents"}},
		{user: "finance", landing: "/console", has: []string{"/console/residents"}},
		{user: "frontdesk", landing: "/console", has: []string{"/console/residents"}},
		{user: "technician", mobile: true, landing: "/tech"},
		{user: "guard", mobile: true, landing: "/tech/patrol"},
		{user: "resident", mobile: true, landing: "/h5"},
	}
	for _, c := range cases {
		t.Run(c.user, func(t *testing.T) {
			var b *browser
			if c.mobile {
				b = newBrowser(t, 375, 667, true)
			} else {
				b = newBrowser(t, 1366, 860, false)
			}
			b.signIn(c.user)
			if p := b.location(); p != c.landing {
				t.Fatalf("%s landed on %s, want %s", c.user, p, c.landing)
			}
			for _, m := range c.has {
				b.run(chromedp.WaitVisible(css(`[data-test="menu:` + m + `"]`)))
			}
			for _, m := range c.not {
				if n := b.count(`[data-test="menu:` + m + `"]`); n != 0 {
					t.Errorf("%s sees the menu entry %s", c.user, m)
				}
			}
			b.shot("landing-" + c.user)
		})
	}
	t.Run("operator", func(t *testing.T) {
		b := newBrowser(t, 1366, 860, false)
		b.run(
			chromedp.Navigate(server.base+"/operator/login"),
			chromedp.WaitVisible(css(`input[name=login]`)),
			chromedp.SendKeys(css(`input[name=login]`), "operator"),
			chromedp.SendKeys(css(`input[name=password]`), server.password["operator"]),
			chromedp.Click(css(`[data-test=signin-submit]`)),
			chromedp.WaitVisible(css(`[data-test=operator-menu]`)),
		)
		if p := b.location(); !strings.HasPrefix(p, "/operator") || p == "/operator/login" {
			t.Fatalf("operator landed on %s", p)
		}
		b.shot("landing-operator")
	})
}
