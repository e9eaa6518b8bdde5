package tenant

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/store"
)

// Apply outcomes.
const (
	OutcomeCreated   = "created"
	OutcomeUpdated   = "updated"
	OutcomeUnchanged = "unchanged"
)

// ApplyResult says what Apply did. Passwords are the generated ones, shown
// only here; Notes are remarks that changed nothing (e.g. seed data no
// seeder consumes yet).
type ApplyResult struct {
	Outcome   string              `json:"outcome"`
	Tenant    Tenant              `json:"tenant"`
	Changes   []string            `json:"changes,omitempty"`
	Passwords []GeneratedPassword `json:"generated_passwords,omitempty"`
	Notes     []string            `json:"notes,omitempty"`
}

// RegisterSeeder makes Apply hand the manifest's seed.<key> to fn. Seeders
// run in registration order, so one may use what an earlier one created
// (assets need the property seeder's communities).
func (s *Service) RegisterSeeder(key string, fn Seeder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.seeders[key]; !dup {
		s.order = append(s.order, key)
	}
	s.seeders[key] = fn
}

// Apply makes the live tenant with the manifest's code match the manifest,
// creating it if there is none. It is idempotent: applying the same manifest
// again reports OutcomeUnchanged. Name, plan, status (when declared) and
// plugins are updated; users not yet provisioned are created through the
// hooks; users already provisioned are not touched; seeders run last. The
// hooks and seeders run in the tenant's own scope (see provisioning): a new
// tenant whose provisioning fails is not left behind; an existing one keeps
// the updates of its row, and applying again completes the rest. A tenant
// left StatusProvisioning is finished as if created now.
func (s *Service) Apply(ctx context.Context, m Manifest) (ApplyResult, error) {
	if err := m.validate(); err != nil {
		return ApplyResult{}, err
	}
	users, err := m.userSpecs()
	if err != nil {
		return ApplyResult{}, err
	}
	plugins, err := m.pluginSettings()
	if err != nil {
		return ApplyResult{}, err
	}
	if _, err := m.deviceSettings(); err != nil {
		return ApplyResult{}, err
	}
	// The tenant's id is needed before its row is written (SQLite runs the
	// whole apply in one transaction of that tenant); a tenant created by
	// someone else meanwhile makes the apply fail, and applying again updates it.
	id := store.NewID()
	err = s.db.Platform(ctx, func(tx *gorm.DB) error {
		t, err := getTenant(tx, m.Code, false)
		if err == nil {
			id = t.ID
		}
		if errors.Is(err, apperr.NotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return ApplyResult{}, err
	}
	var res ApplyResult
	err = s.provisioning(ctx, id, func(ctx context.Context) error {
		res = ApplyResult{}
		var t Tenant
		err := s.db.Platform(ctx, func(tx *gorm.DB) error {
			p, err := findPlan(tx, m.Plan)
			if err != nil {
				return err
			}
			if n := enabledPlugins(plugins); p.MaxPlugins > 0 && n > p.MaxPlugins {
				return quotaError(QuotaDetails{Resource: ResourcePlugins, Limit: p.MaxPlugins, Used: int64(n), Plan: p.Code})
			}
			t, err = getTenant(tx, m.Code, true)
			switch {
			case errors.Is(err, apperr.NotFound):
				res.Outcome = OutcomeCreated
				t = Tenant{ID: id, Code: m.Code, Name: m.Name, Status: StatusProvisioning, PlanCode: m.Plan, Settings: Settings{Plugins: plugins, TimeZone: m.TimeZone}}
				t.Settings.Devices, _ = m.deviceSettings()
				return insertTenant(tx, &t)
			case err != nil:
				return err
			case t.ID != id:
				return fmt.Errorf("tenant %s was created concurrently; apply again", m.Code)
			case t.Status == StatusProvisioning: // an earlier provisioning cut short
				res.Outcome = OutcomeCreated
				m := m
				m.Status = "" // set once provisioned, below
				return s.update(tx, &t, m, plugins, &res)
			}
			return s.update(tx, &t, m, plugins, &res)
		})
		if err != nil {
			return err
		}
		err = s.db.InTenant(ctx, t.ID, func(tx *gorm.DB) error {
			before := len(t.Settings.Users)
			var err error
			if res.Passwords, err = s.provision(store.Ctx(tx), tx, &t, users); err != nil {
				return err
			}
			for _, u := range t.Settings.Users[before:] {
				res.Changes = append(res.Changes, "user "+u+" created")
			}
			return s.seed(store.Ctx(tx), t, m.Seed, &res)
		})
		if err != nil {
			return err
		}
		if t.Status == StatusProvisioning {
			setStatus(&t, StatusActive, "")
			if m.Status == StatusSuspended {
				setStatus(&t, StatusSuspended, "declared in manifest")
			}
		}
		if res.Outcome == "" {
			res.Outcome = OutcomeUnchanged
			if len(res.Changes) > 0 {
				res.Outcome = OutcomeUpdated
			}
		}
		if res.Outcome != OutcomeUnchanged {
			if err := s.db.Platform(ctx, func(tx *gorm.DB) error { return tx.Save(&t).Error }); err != nil {
				return err
			}
		}
		res.Tenant = t
		return nil
	})
	if err != nil {
		return ApplyResult{}, err
	}
	if res.Outcome != OutcomeUnchanged {
		s.forget(res.Tenant.ID)
		s.record(ctx, "tenant.apply", res.Tenant, res.Outcome+": "+strings.Join(res.Changes, "; "))
		if s.opt.Committed != nil {
			s.opt.Committed(ctx, res.Tenant.ID)
		}
	}
	return res, nil
}

// update brings an existing tenant's name, status, plugins and plan in line.
func (s *Service) update(tx *gorm.DB, t *Tenant, m Manifest, plugins map[string]PluginSetting, res *ApplyResult) error {
	if t.Name != m.Name {
		res.Changes = append(res.Changes, fmt.Sprintf("name: %q -> %q", t.Name, m.Name))
		t.Name = m.Name
	}
	if m.Status != "" && m.Status != t.Status {
		res.Changes = append(res.Changes, "status: "+t.Status+" -> "+m.Status)
		reason := ""
		if m.Status == StatusSuspended {
			reason = "declared in manifest"
		}
		setStatus(t, m.Status, reason)
	}
	if m.TimeZone != "" && m.TimeZone != t.Settings.TimeZone {
		res.Changes = append(res.Changes, "time_zone: "+t.TimeZone()+" -> "+m.TimeZone)
		t.Settings.TimeZone = m.TimeZone
	}
	if !samePlugins(t.Settings.Plugins, plugins) {
		res.Changes = append(res.Changes, "plugins")
		t.Settings.Plugins = plugins
	}
	if devices, _ := m.deviceSettings(); !sameDevices(t.Settings.Devices, devices) {
		res.Changes = append(res.Changes, "devices")
		t.Settings.Devices = devices
	}
	if t.PlanCode == m.Plan {
		return nil
	}
	// Save first so the downgrade check counts the plugins as declared now.
	if len(res.Changes) > 0 {
		if err := tx.Save(t).Error; err != nil {
			return err
		}
	}
	from := t.PlanCode
	if _, err := s.setPlan(tx, t, m.Plan); err != nil {
		return err
	}
	res.Changes = append(res.Changes, "plan: "+from+" -> "+m.Plan)
	return nil
}

// seed hands each seed key to its seeder: registered keys in registration
// order, then the unknown ones (noted) in key order.
// ctx carries the tenant's provisioning transaction, which the seeders join.
func (s *Service) seed(ctx context.Context, t Tenant, data map[string]any, res *ApplyResult) error {
	// Relative dates in seed data ("-30d") count from the tenant's today.
	loc, err := time.LoadLocation(t.TimeZone())
	if err != nil {
		loc = defaultLocation
	}
	ctx = civil.WithToday(ctx, civil.Today(loc))
	s.mu.RLock()
	var keys []string
	for _, k := range s.order {
		if _, ok := data[k]; ok {
			keys = append(keys, k)
		}
	}
	var unknown []string
	for k := range data {
		if _, ok := s.seeders[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	s.mu.RUnlock()
	sort.Strings(unknown)
	for _, k := range append(keys, unknown...) {
		s.mu.RLock()
		fn, ok := s.seeders[k]
		s.mu.RUnlock()
		if !ok {
			res.Notes = append(res.Notes, "seed."+k+": no seeder registered yet; kept as data in the manifest only")
			continue
		}
		changed, err := fn(ctx, t, data[k])
		if err != nil {
			return fmt.Errorf("seed.%s: %w", k, err)
		}
		if changed {
			res.Changes = append(res.Changes, "seed."+k)
		}
	}
	return nil
}

// SeedOnFirstStart applies the manifest at path when the database has no
// tenant at all (deleted ones included), and returns nil otherwise.
func (s *Service) SeedOnFirstStart(ctx context.Context, path string) (*ApplyResult, error) {
	return s.SeedManifestOnFirstStart(ctx, func() (Manifest, error) { return LoadManifest(path) })
}

// SeedManifestOnFirstStart applies the manifest load returns when the
// database has no tenant at all (deleted ones included), and returns nil
// otherwise. serve calls it with the demo manifest so a fresh install has a
// demo company.
func (s *Service) SeedManifestOnFirstStart(ctx context.Context, load func() (Manifest, error)) (*ApplyResult, error) {
	var n int64
	if err := s.db.Platform(ctx, func(tx *gorm.DB) error { return tx.Model(&Tenant{}).Count(&n).Error }); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, nil
	}
	m, err := load()
	if err != nil {
		return nil, err
	}
	res, err := s.Apply(ctx, m)
	if err != nil {
		return nil, err
	}
	return &res, nil
}
