// Package arch holds the test of the core's import graph: the dependency
// order written down in docs/architecture.md.
package arch

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/wuye-project/wuye/"

// layers is the declared order: a package of a layer may import packages of
// lower layers only, none of its own layer or above. Packages not listed are foundation helpers
// (actor, pii, sheet, …) any layer may use.
var layers = [][]string{
	{"core/store", "core/apperr", "core/paging"},
	{"core/audit"}, // every domain records through audit.Recorder
	{"core/tenant", "core/identity", "core/rbac", "core/queue", "core/records"}, // records: plugins' documents
	{"core/property"},
	{"core/asset", "core/resident", "core/fee", "core/finance", "core/notify"},
	{"core/billing"}, // bills from fee's quotes
	{"core/payment"}, // above billing: it credits billing's ledger through payment.Ledger
	{"core/workorder", "core/patrol", "core/survey"}, // the service desk; other domains reached through interfaces
}

// domains are the packages with an api package of their own.
var domains = []string{"core/tenant", "core/identity", "core/rbac", "core/audit", "core/queue", "core/property", "core/asset", "core/resident", "core/fee", "core/finance", "core/billing", "core/payment", "core/workorder", "core/patrol", "core/survey", "core/notify"}

type pkg struct {
	imports map[string][]string // import path (module-relative) → files importing it
}

func graph(t *testing.T) map[string]*pkg {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	g := map[string]*pkg{}
	err = filepath.WalkDir(filepath.Join(root, "core"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		p := g[rel]
		if p == nil {
			p = &pkg{imports: map[string][]string{}}
			g[rel] = p
		}
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			if after, ok := strings.CutPrefix(ip, module); ok {
				ip = after
			}
			p.imports[ip] = append(p.imports[ip], filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// under reports whether p is pkg or inside it.
func under(p, pkg string) bool { return p == pkg || strings.HasPrefix(p, pkg+"/") }

func layerOf(p string) int {
	for i, l := range layers {
		for _, q := range l {
			// A domain's api package sits above every domain.
			if p == q || (under(p, q) && !strings.HasSuffix(p, "api")) {
				return i
			}
		}
	}
	return -1
}

func TestNoCycle(t *testing.T) {
	g := graph(t)
	state := map[string]int{} // 1 visiting, 2 done
	var stack []string
	var visit func(p string)
	visit = func(p string) {
		switch state[p] {
		case 1:
			i := slices.Index(stack, p)
			t.Fatalf("import cycle: %s → %s", strings.Join(stack[i:], " → "), p)
		case 2:
			return
		}
		state[p] = 1
		stack = append(stack, p)
		for ip := range g[p].imports {
			if g[ip] != nil {
				visit(ip)
			}
		}
		stack = stack[:len(stack)-1]
		state[p] = 2
	}
	for p := range g {
		visit(p)
	}
}

func TestHTTPImportsNoStoreNorDomain(t *testing.T) {
	g := graph(t)
	for ip, files := range g["core/httpapi"].imports {
		bad := strings.HasPrefix(ip, "gorm.io/") || under(ip, "core/store")
		for _, d := range domains {
			// audit's Recorder and request notes are the middleware's contract.
			bad = bad || (under(ip, d) && d != "core/audit")
		}
		if !bad {
			continue
		}
		for _, f := range files {
			t.Errorf("core/httpapi/%s imports %s", f, ip)
		}
	}
}

func TestDomainsImportNoEdge(t *testing.T) {
	g := graph(t)
	for p, pk := range g {
		for ip := range pk.imports {
			if !strings.HasPrefix(ip, "core/") {
				continue
			}
			isAPI := strings.HasSuffix(ip, "api") && ip != "core/httpapi"
			switch {
			case under(ip, "core/app") && !under(p, "core/app"):
				t.Errorf("%s imports core/app", p)
			case ip == "core/httpapi" && layerOf(p) >= 0:
				t.Errorf("domain package %s imports core/httpapi", p)
			case isAPI && !under(p, "core/app") && !strings.HasPrefix(ip, p+"/"):
				t.Errorf("%s imports another domain's route package %s", p, ip)
			}
		}
	}
}

func TestDomainOrder(t *testing.T) {
	g := graph(t)
	for p, pk := range g {
		lp := layerOf(p)
		if lp < 0 {
			continue
		}
		for ip := range pk.imports {
			li := layerOf(ip)
			if li < 0 || under(ip, p) || under(p, ip) {
				continue
			}
			if li >= lp && li > 0 {
				t.Errorf("%s (layer %d) imports %s (layer %d): a domain imports only lower layers", p, lp, ip, li)
			}
		}
	}
}

// TestHostServicesUseInterfaces: the plugin Host (core/pluginhost/hostsvc)
// reaches the core's domains only through its own small interfaces, which
// core/app adapts; of the domains it imports only the records store.
func TestHostServicesUseInterfaces(t *testing.T) {
	g := graph(t)
	allowed := []string{"core/records", "core/apperr", "core/store", "core/actor", "core/pluginhost"}
	for ip, files := range g["core/pluginhost/hostsvc"].imports {
		if !strings.HasPrefix(ip, "core/") || slices.Contains(allowed, ip) {
			continue
		}
		for _, f := range files {
			t.Errorf("core/pluginhost/hostsvc/%s imports %s", f, ip)
		}
	}
}
