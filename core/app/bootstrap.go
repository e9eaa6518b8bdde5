package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/tenants"
)

// FirstStart is what Bootstrap did, for serve to print.
type FirstStart struct {
	OperatorPasswordFile string // set when the first operator was created
	DemoTenant           string // code of the demo tenant seeded now
	DemoPasswordFile     string
}

// Bootstrap makes a fresh installation usable: it creates the first platform
// operator with a generated password, and seeds the demo tenant from
// tenants/demo.yaml when the database has no tenant yet. Passwords go to
// 0600 files in the data dir, never to the log. It does nothing on later starts.
func (a *App) Bootstrap(ctx context.Context) (FirstStart, error) {
	var out FirstStart
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "bootstrap"})
	pw, created, err := a.Identity.EnsureOperator(ctx, "operator")
	if err != nil {
		return out, fmt.Errorf("first operator: %w", err)
	}
	if created {
		out.OperatorPasswordFile = filepath.Join(a.Config.DataDir, "operator-password.txt")
		if err := writePrivate(out.OperatorPasswordFile, "username: operator\npassword: "+pw+"\n"); err != nil {
			return out, err
		}
	}
	if a.Config.NoSeed {
		return out, nil
	}
	// tenants/demo.yaml of the tenants folder when there is one, else the
	// copy built into the binary: `wuye serve` seeds the demo from any folder.
	res, err := a.Tenants.SeedManifestOnFirstStart(ctx, func() (tenant.Manifest, error) {
		m, err := tenant.LoadManifest(filepath.Join(a.Config.TenantsDir, "demo.yaml"))
		if errors.Is(err, fs.ErrNotExist) {
			return tenant.ParseManifest(tenants.Demo)
		}
		return m, err
	})
	if err != nil || res == nil {
		return out, err
	}
	out.DemoTenant = res.Tenant.Code
	var b strings.Builder
	fmt.Fprintf(&b, "tenant: %s\n", res.Tenant.Code)
	for _, p := range res.Passwords {
		fmt.Fprintf(&b, "%s: %s\n", p.Username, p.Password)
	}
	out.DemoPasswordFile = filepath.Join(a.Config.DataDir, "demo-passwords.txt")
	return out, writePrivate(out.DemoPasswordFile, b.String())
}
