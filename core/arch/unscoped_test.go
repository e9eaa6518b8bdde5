package arch

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestUnscopedCallsHaveReasons lists every store.Unscoped call in the core:
// hand-written SQL on a tenant table that is deliberately not bound to the
// transaction's tenant (core/store/raw.go). Each must give its reason as a
// string literal, so `go test -run Unscoped -v ./core/arch` is the review list.
func TestUnscopedCallsHaveReasons(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(filepath.Join(root, "core"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(x ast.Node) bool {
			call, ok := x.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Unscoped" {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "store" {
				return true
			}
			n++
			at, _ := filepath.Rel(root, fset.Position(call.Pos()).String())
			lit, ok := call.Args[len(call.Args)-1].(*ast.BasicLit)
			reason, _ := strconv.Unquote(litValue(lit, ok))
			if strings.TrimSpace(reason) == "" {
				t.Errorf("%s: store.Unscoped without a literal reason", at)
				return true
			}
			t.Logf("%s: %s", at, reason)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d unscoped calls", n)
}

func litValue(l *ast.BasicLit, ok bool) string {
	if !ok || l.Kind != token.STRING {
		return ""
	}
	return l.Value
}
