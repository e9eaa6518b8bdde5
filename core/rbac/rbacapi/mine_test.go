package rbacapi_test

import (
	"slices"
	"testing"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// TestMyPermissions: GET /api/v1/auth/permissions answers the caller's own
// roles and what they grant — to a resident (who lacks role.read) too, to a
// user without roles (nothing), and to an API key (its roles).
func TestMyPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := newFixture(t, db)
		strs := func(v any) []string {
			var out []string
			for _, x := range v.([]any) {
				out = append(out, x.(string))
			}
			return out
		}
		for _, c := range []struct {
			tok, role  string
			has, lacks string
		}{
			{"resA", "resident", "self.read", "property.read"},
			{"adminA", "admin", "role.manage", ""},
			{"keyA", "finance", "billing.read", "role.read"},
		} {
			out := f.want(c.tok, "GET", "/api/v1/auth/permissions", "", 200, "")
			roles, perms := strs(out["roles"]), strs(out["permissions"])
			if !slices.Equal(roles, []string{c.role}) || !slices.Contains(perms, c.has) || (c.lacks != "" && slices.Contains(perms, c.lacks)) {
				t.Errorf("%s: roles %v permissions %v", c.tok, roles, perms)
			}
		}
		out := f.want("cashierA", "GET", "/api/v1/auth/permissions", "", 200, "")
		if len(out["roles"].([]any)) != 0 || len(out["permissions"].([]any)) != 0 {
			t.Errorf("no roles: %v", out)
		}
		f.want("nobody", "GET", "/api/v1/auth/permissions", "", 401, "unauthenticated")
	})
}
