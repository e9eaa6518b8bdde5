package app_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wuye-project/wuye/core/notify"
)

// TestEveryNoticeHasATemplate: notify refuses a message whose template code
// it does not know, and the domains send inside the transaction of the
// change they tell of, so an unknown code would fail that change. Every
// code the sending domains name must be in notify's catalogue.
func TestEveryNoticeHasATemplate(t *testing.T) {
	code := regexp.MustCompile(`"((?:workorder|patrol|survey|bill|payment|announcement)\.[a-z_]+)"`)
	seen := 0
	for _, dir := range []string{"workorder", "patrol", "survey", "finance", "notify"} {
		files, err := filepath.Glob(filepath.Join("..", dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "templates.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range code.FindAllStringSubmatch(string(src), -1) {
				seen++
				if _, ok := notify.KindOf(m[1]); !ok {
					t.Errorf("%s sends %q, which notify's catalogue does not define", f, m[1])
				}
			}
		}
	}
	if seen < 10 {
		t.Fatalf("found only %d notice codes: has the code moved?", seen)
	}
}
