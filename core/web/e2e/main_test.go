// Package e2e_test drives the web console in Debian's Chromium (headless,
// through chromedp) against the real server, started in process with the
// demo tenant seeded as on a first `wuye serve`.
package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wuye-project/wuye/core/app"
)

// server is the one app every test of the package talks to.
var server struct {
	base     string
	tenant   string
	password map[string]string // demo usernames and "operator"
	err      error
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wuye-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := startServer(ctx, dir)
	if err != nil {
		server.err = err
	} else {
		defer stop()
	}
	return m.Run()
}

// startServer builds, seeds and serves the app as `wuye serve` does.
func startServer(ctx context.Context, dir string) (func(), error) {
	// Every test signs in from 127.0.0.1, many times a minute when the suite
	// runs quickly: more than one address may by default.
	cfg := app.Config{HTTPAddr: "127.0.0.1:0", DataDir: dir, TenantsDir: "../../../tenants", LogLevel: "error",
		LoginPerMinute: 600, LoginBurst: 200}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	first, err := a.Bootstrap(ctx)
	if err == nil {
		err = a.Start(ctx)
	}
	if err == nil {
		err = a.Listen()
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	done := make(chan struct{})
	sctx, cancel := context.WithCancel(ctx)
	go func() { a.Serve(sctx); close(done) }()
	stop := func() { cancel(); <-done; a.Close() }
	server.base = "http://" + a.Addr()
	server.password = map[string]string{}
	for _, f := range []string{first.DemoPasswordFile, first.OperatorPasswordFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			stop()
			return nil, err
		}
		var user string
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ": ")
			switch {
			case !ok:
			case k == "tenant":
				server.tenant = v
			case k == "username":
				user = v
			case k == "password":
				server.password[user] = v
			default:
				server.password[k] = v
			}
		}
	}
	return stop, nil
}

// chromium finds Debian's browser: a test fails without it under CI=true
// and is skipped elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	if server.err != nil {
		t.Fatalf("server: %v", server.err)
	}
	for _, p := range []string{os.Getenv("WUYE_CHROMIUM"), "/usr/bin/chromium", "chromium"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install -y chromium); the browser tests must run in CI")
	}
	t.Skip("chromium is not installed; browser tests skipped")
	return ""
}

// shotDir is where screenshots go: WUYE_E2E_SHOTS or the test's temp dir.
func shotDir(t *testing.T) string {
	if d := os.Getenv("WUYE_E2E_SHOTS"); d != "" {
		d = filepath.Join(d, t.Name())
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// httpClient is for the few calls a test makes beside the browser.
var httpClient = &http.Client{Timeout: 30 * time.Second}
