package catalogue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// tenantRow is a row of tenant_plugins.
type tenantRow struct {
	TenantID        uuid.UUID `gorm:"primaryKey"`
	Name            string    `gorm:"primaryKey"`
	Version         string
	PreviousVersion string
	Enabled         bool
	Config          string
	SecretsEnc      string
	Declared        string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (tenantRow) TableName() string { return "tenant_plugins" }

// Page is a console or H5 page a plugin contributes (a menu entry).
type Page struct {
	ID         string `json:"id"`
	TitleEN    string `json:"title_en"`
	TitleZH    string `json:"title_zh"`
	Icon       string `json:"icon,omitempty"`
	Permission string `json:"permission,omitempty"` // as the role catalogue names it: "<plugin>.<code>", or a core code
	Bundle     string `json:"bundle"`               // asset path below /api/v1/plugins/{name}/assets
	Surface    string `json:"surface"`              // console or h5
}

// Enablement is a tenant's enablement of one plugin as its admin sees it.
// Secret values are never shown, only which are set.
type Enablement struct {
	Name            string          `json:"name"`
	Version         string          `json:"version"`
	PreviousVersion string          `json:"previous_version,omitempty"`
	Enabled         bool            `json:"enabled"`
	Kind            string          `json:"kind"`
	TitleEN         string          `json:"title_en"`
	TitleZH         string          `json:"title_zh"`
	Description     string          `json:"description,omitempty"`
	Config          json.RawMessage `json:"config,omitempty"`
	Secrets         []string        `json:"secrets,omitempty"`     // the manifest's secret names
	SecretsSet      []string        `json:"secrets_set,omitempty"` // those with a stored value
	Pages           []Page          `json:"pages"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

// Entry is an enabled plugin with its manifest, for the proxy, OpenAPI, the
// role catalogue and the console menu.
type Entry struct {
	Name     string
	Version  string
	Manifest *wuyepb.Manifest
	Config   json.RawMessage
}

func pagesOf(name string, m *wuyepb.Manifest) []Page {
	local := map[string]bool{}
	for _, p := range m.GetPermissions() {
		local[p.GetCode()] = true
	}
	out := []Page{}
	for _, p := range m.GetPages() {
		perm := p.GetPermission()
		if local[perm] {
			perm = name + "." + perm
		}
		surface := p.GetSurface()
		if surface == "" {
			surface = "console"
		}
		out = append(out, Page{ID: p.GetId(), TitleEN: p.GetTitleEn(), TitleZH: p.GetTitleZh(), Icon: p.GetIcon(), Permission: perm, Bundle: p.GetBundle(), Surface: surface})
	}
	return out
}

func (c *Catalogue) view(r tenantRow, v versionRow, withConfig bool) Enablement {
	e := Enablement{Name: r.Name, Version: r.Version, PreviousVersion: r.PreviousVersion, Enabled: r.Enabled, Kind: v.Kind, UpdatedAt: r.UpdatedAt, Pages: []Page{}}
	if pm, err := c.manifestOf(v); err == nil {
		m := pm.m
		e.TitleEN, e.TitleZH, e.Description, e.Pages = m.GetTitleEn(), m.GetTitleZh(), m.GetDescription(), pagesOf(r.Name, m)
		if withConfig {
			e.Secrets = append([]string{}, m.GetSecrets()...)
		}
	}
	if withConfig {
		e.Config = json.RawMessage(r.Config)
		if sec, err := c.openSecrets(r); err == nil {
			for k := range sec {
				e.SecretsSet = append(e.SecretsSet, k)
			}
			sort.Strings(e.SecretsSet)
		}
	}
	return e
}

func secretsAAD(tenantID uuid.UUID, name string) []byte {
	return pii.Context(tenantID, "pluginhost.tenant_plugins.secrets/"+name)
}

func (c *Catalogue) openSecrets(r tenantRow) (map[string]string, error) {
	out := map[string]string{}
	if r.SecretsEnc == "" {
		return out, nil
	}
	if c.opt.Keys == nil {
		return nil, errors.New("catalogue: no keyring to open plugin secrets")
	}
	plain, err := c.opt.Keys.Decrypt(r.SecretsEnc, secretsAAD(r.TenantID, r.Name))
	if err != nil {
		return nil, err
	}
	return out, json.Unmarshal([]byte(plain), &out)
}

func (c *Catalogue) sealSecrets(r *tenantRow, sec map[string]string) error {
	if len(sec) == 0 {
		r.SecretsEnc = ""
		return nil
	}
	if c.opt.Keys == nil {
		return errors.New("catalogue: no keyring to seal plugin secrets")
	}
	b, _ := json.Marshal(sec)
	enc, err := c.opt.Keys.Encrypt(string(b), secretsAAD(r.TenantID, r.Name))
	r.SecretsEnc = enc
	return err
}

// prepare merges a configuration sent by the admin with what is stored and
// validates it against the version's schema. Secret values (the manifest's
// secrets) are split off: a secret left out keeps its stored value, null or
// "" removes it. in == nil keeps the stored configuration (revalidated).
func prepare(pm *parsedManifest, stored tenantRow, storedSecrets map[string]string, in json.RawMessage) (config []byte, secrets map[string]string, err error) {
	cfg := map[string]any{}
	src := in
	if len(strings.TrimSpace(string(in))) == 0 || string(in) == "null" {
		src = json.RawMessage(stored.Config)
		if len(src) == 0 {
			src = json.RawMessage("{}")
		}
	}
	if err := json.Unmarshal(src, &cfg); err != nil || cfg == nil {
		return nil, nil, configInvalid(apperr.FieldError{Field: "config", Code: "not_object", EN: "config must be a JSON object", ZH: "配置须为 JSON 对象"})
	}
	secrets = map[string]string{}
	for k, v := range storedSecrets {
		secrets[k] = v
	}
	var fe []apperr.FieldError
	for _, name := range pm.m.GetSecrets() {
		v, given := cfg[name]
		if !given {
			continue
		}
		delete(cfg, name)
		switch s := v.(type) {
		case nil:
			delete(secrets, name)
		case string:
			if s == "" {
				delete(secrets, name)
			} else {
				secrets[name] = s
			}
		default:
			fe = append(fe, apperr.FieldError{Field: "config." + name, Code: "secret_not_string", EN: name + " is a secret and must be a string", ZH: name + " 是密钥,须为字符串"})
		}
	}
	if len(fe) > 0 {
		return nil, nil, configInvalid(fe...)
	}
	// Secrets that are no longer secrets in this version are dropped.
	for k := range secrets {
		if !slices.Contains(pm.m.GetSecrets(), k) {
			delete(secrets, k)
		}
	}
	config, err = json.Marshal(cfg)
	if err != nil {
		return nil, nil, err
	}
	merged := map[string]any{}
	for k, v := range cfg {
		merged[k] = v
	}
	for k, v := range secrets {
		merged[k] = v
	}
	mb, _ := json.Marshal(merged)
	if err := validateConfig(pm.schema, mb); err != nil {
		return nil, nil, err
	}
	return config, secrets, nil
}

// inTenant reads the tenant's row of name (nil when none) and the catalogue
// row of version in the tenant's transaction.
func getRow(tx *gorm.DB, tenantID uuid.UUID, name string) (*tenantRow, error) {
	var rows []tenantRow
	if err := tx.Where("tenant_id = ? AND name = ?", tenantID, name).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// versionSet is catalogue rows read before a tenant transaction: the
// catalogue is a platform table, which the tenant role may not read, so it is
// read through the platform pool first (sorted newest first). A version
// retired between that read and the tenant's commit is caught by Resolve.
type versionSet []versionRow

func (s versionSet) get(name, version string) (versionRow, error) {
	for _, v := range s {
		if v.Name == name && v.Version == version {
			return v, nil
		}
	}
	return versionRow{}, ErrNotRegistered
}

// latest is the newest registered, unretired version of name.
func (s versionSet) latest(name string) (versionRow, error) {
	for _, v := range s {
		if v.Name == name && v.RetiredAt == nil {
			return v, nil
		}
	}
	return versionRow{}, ErrNotRegistered
}

// usable is version of name when registered and not retired.
func (s versionSet) usable(name, version string) (versionRow, error) {
	v, err := s.get(name, version)
	if err == nil && v.RetiredAt != nil {
		return v, ErrRetired
	}
	return v, err
}

// change runs one change of a tenant's enablement of name in the tenant's
// transaction: fn gets the current row (nil when none) and returns the new
// one and what changed; the row is saved, audited in the same transaction,
// and OnChange is told after commit.
func (c *Catalogue) change(ctx context.Context, tenantID uuid.UUID, name, action string, fn func(tx *gorm.DB, cur *tenantRow, vs versionSet) (tenantRow, versionRow, []audit.Change, error)) (Enablement, error) {
	var (
		out     Enablement
		changed bool
		stamp   time.Time // the change's updated_at, at most what is stored (gorm may set a later one)
	)
	vs, err := c.versions(ctx, name, true)
	if err != nil {
		return out, err
	}
	err = c.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		cur, err := getRow(tx, tenantID, name)
		if err != nil {
			return err
		}
		next, v, changes, err := fn(tx, cur, vs)
		if err != nil {
			return err
		}
		out = c.view(next, v, true)
		if len(changes) == 0 && cur != nil && cur.Declared == next.Declared {
			return nil
		}
		now := c.now().Truncate(time.Microsecond) // as both databases keep it; see afterCommit
		stamp = now
		next.TenantID, next.Name, next.UpdatedAt = tenantID, name, now
		if cur == nil {
			next.CreatedAt = now
		} else {
			next.CreatedAt = cur.CreatedAt
		}
		if err := tx.Save(&next).Error; err != nil {
			if store.IsUniqueViolation(err) { // a concurrent first enable won
				return apperr.Conflict
			}
			return err
		}
		out = c.view(next, v, true)
		if len(changes) == 0 {
			return nil // only the manifest bookkeeping moved
		}
		changed = true
		// A tenant's own request is audited by the API in this transaction:
		// the notes give its entry the object and the changes. Anything else
		// (an operator, a tenant manifest) gets an entry in the tenant's log here.
		if n := audit.From(ctx); n != nil {
			if a, ok := actorFrom(ctx); ok && a.TenantID == tenantID {
				n.Object("plugin", name)
				n.Change(changes...)
				return nil
			}
		}
		e := audit.Entry{TenantID: tenantID, Action: action, Object: "plugin/" + name, ObjectType: "plugin", ObjectID: name, Result: audit.ResultOK, Changes: changes}
		actorOf(ctx, &e, "tenant manifest")
		return audit.RecordTx(tx, e)
	})
	if err != nil {
		return Enablement{}, err
	}
	if changed {
		c.afterCommit(ctx, tenantID, name, stamp)
	}
	return out, nil
}

func configChanges(before, after string) []audit.Change {
	if before == after {
		return nil
	}
	var a, b map[string]any
	_ = json.Unmarshal([]byte(before), &a)
	_ = json.Unmarshal([]byte(after), &b)
	var keys []string
	for k := range a {
		if x, _ := json.Marshal(a[k]); string(x) != mustJSON(b[k]) || b == nil {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []audit.Change
	for _, k := range keys {
		ch := audit.Change{Field: "config." + k}
		if v, ok := a[k]; ok {
			ch.Before = v
		}
		if v, ok := b[k]; ok {
			ch.After = v
		}
		out = append(out, ch)
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func secretChanges(before, after map[string]string) []audit.Change {
	var keys []string
	for k, v := range after {
		if before[k] != v {
			keys = append(keys, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []audit.Change
	for _, k := range keys {
		out = append(out, audit.Change{Field: "secret." + k, After: "(changed)"}) // never the value
	}
	return out
}

// EnableInput enables a plugin: Version defaults to the pinned one (when
// still usable) or the latest; Config (a JSON object) to the stored one.
type EnableInput struct {
	Version string          `json:"version,omitempty"`
	Config  json.RawMessage `json:"config,omitempty"`
}

// Enable enables name for the tenant, within its plan's plugin quota.
func (c *Catalogue) Enable(ctx context.Context, tenantID uuid.UUID, name string, in EnableInput) (Enablement, error) {
	return c.enable(ctx, tenantID, name, in, nil)
}

func (c *Catalogue) enable(ctx context.Context, tenantID uuid.UUID, name string, in EnableInput, declared *string) (Enablement, error) {
	return c.change(ctx, tenantID, name, "plugin.enable", func(tx *gorm.DB, cur *tenantRow, vs versionSet) (tenantRow, versionRow, []audit.Change, error) {
		var (
			v   versionRow
			err error
		)
		switch {
		case in.Version != "":
			v, err = vs.usable(name, in.Version)
		case cur != nil:
			if v, err = vs.usable(name, cur.Version); err != nil {
				v, err = vs.latest(name)
			}
		default:
			v, err = vs.latest(name)
		}
		if err != nil {
			return tenantRow{}, v, nil, err
		}
		next := tenantRow{Config: "{}"}
		if cur != nil {
			next = *cur
		}
		stored, err := c.openSecrets(next)
		if err != nil {
			return tenantRow{}, v, nil, err
		}
		pm, err := c.manifestOf(v)
		if err != nil {
			return tenantRow{}, v, nil, err
		}
		cfg, sec, err := prepare(pm, next, stored, in.Config)
		if err != nil {
			return tenantRow{}, v, nil, err
		}
		var changes []audit.Change
		if cur == nil || !cur.Enabled {
			if err := c.opt.Tenants.CheckQuota(ctx, tx, tenantID, 1); err != nil {
				return tenantRow{}, v, nil, err
			}
			changes = append(changes, audit.Change{Field: "enabled", Before: false, After: true})
		}
		if cur != nil && cur.Version != v.Version {
			changes = append(changes, audit.Change{Field: "version", Before: cur.Version, After: v.Version})
			next.PreviousVersion = cur.Version
		} else if cur == nil {
			changes = append(changes, audit.Change{Field: "version", After: v.Version})
		}
		changes = append(changes, configChanges(next.Config, string(cfg))...)
		changes = append(changes, secretChanges(stored, sec)...)
		next.Version, next.Enabled, next.Config = v.Version, true, string(cfg)
		if err := c.sealSecretsIfChanged(&next, tenantID, name, stored, sec); err != nil {
			return tenantRow{}, v, nil, err
		}
		if declared != nil {
			next.Declared = *declared
		}
		return next, v, changes, nil
	})
}

func (c *Catalogue) sealSecretsIfChanged(r *tenantRow, tenantID uuid.UUID, name string, before, after map[string]string) error {
	if len(secretChanges(before, after)) == 0 {
		return nil
	}
	r.TenantID, r.Name = tenantID, name
	return c.sealSecrets(r, after)
}

// Configure replaces the tenant's configuration of name (enabled or not),
// validated against the pinned version's schema.
func (c *Catalogue) Configure(ctx context.Context, tenantID uuid.UUID, name string, config json.RawMessage) (Enablement, error) {
	if len(config) == 0 {
		config = json.RawMessage("{}")
	}
	return c.configure(ctx, tenantID, name, config, nil)
}

func (c *Catalogue) configure(ctx context.Context, tenantID uuid.UUID, name string, config json.RawMessage, declared *string) (Enablement, error) {
	return c.change(ctx, tenantID, name, "plugin.configure", func(tx *gorm.DB, cur *tenantRow, vs versionSet) (tenantRow, versionRow, []audit.Change, error) {
		if cur == nil {
			return tenantRow{}, versionRow{}, nil, pluginhost.ErrNotEnabled
		}
		v, err := vs.get(name, cur.Version)
		if err != nil {
			return tenantRow{}, v, nil, err
		}
		pm, err := c.manifestOf(v)
		if err != nil {
			return tenantRow{}, v, nil, err
		}
		stored, err := c.openSecrets(*cur)
		if err != nil {
			return tenantRow{}, v, nil, err
		}
		cfg, sec, err := prepare(pm, *cur, stored, config)
		if err != nil {
			return tenantRow{}, v, nil, err
		}
		next := *cur
		changes := append(configChanges(cur.Config, string(cfg)), secretChanges(stored, sec)...)
		next.Config = string(cfg)
		if err := c.sealSecretsIfChanged(&next, tenantID, name, stored, sec); err != nil {
			return tenantRow{}, v, nil, err
		}
		if declared != nil {
			next.Declared = *declared
		}
		return next, v, changes, nil
	})
}

// SetVersion moves the tenant to another registered version of name (an
// upgrade or a downgrade); the configuration is revalidated against that
// version's schema, and the version left becomes the one to roll back to.
func (c *Catalogue) SetVersion(ctx context.Context, tenantID uuid.UUID, name, version string) (Enablement, error) {
	if version == "" {
		return Enablement{}, apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "version", Code: "required", EN: "version is required", ZH: "版本必填"}})
	}
	return c.change(ctx, tenantID, name, "plugin.upgrade", func(tx *gorm.DB, cur *tenantRow, vs versionSet) (tenantRow, versionRow, []audit.Change, error) {
		return c.moveTo(vs, cur, name, version)
	})
}

// Rollback moves the tenant back to the version it ran before the last
// upgrade or rollback.
func (c *Catalogue) Rollback(ctx context.Context, tenantID uuid.UUID, name string) (Enablement, error) {
	return c.change(ctx, tenantID, name, "plugin.rollback", func(tx *gorm.DB, cur *tenantRow, vs versionSet) (tenantRow, versionRow, []audit.Change, error) {
		if cur == nil {
			return tenantRow{}, versionRow{}, nil, pluginhost.ErrNotEnabled
		}
		if cur.PreviousVersion == "" {
			return tenantRow{}, versionRow{}, nil, ErrNoPrevious
		}
		return c.moveTo(vs, cur, name, cur.PreviousVersion)
	})
}

func (c *Catalogue) moveTo(vs versionSet, cur *tenantRow, name, version string) (tenantRow, versionRow, []audit.Change, error) {
	if cur == nil {
		return tenantRow{}, versionRow{}, nil, pluginhost.ErrNotEnabled
	}
	v, err := vs.usable(name, version)
	if err != nil {
		return tenantRow{}, v, nil, err
	}
	if v.Version == cur.Version {
		return *cur, v, nil, nil
	}
	pm, err := c.manifestOf(v)
	if err != nil {
		return tenantRow{}, v, nil, err
	}
	stored, err := c.openSecrets(*cur)
	if err != nil {
		return tenantRow{}, v, nil, err
	}
	cfg, sec, err := prepare(pm, *cur, stored, nil)
	if err != nil {
		if ae, ok := apperr.As(err); ok {
			e := *ae
			e.EN = fmt.Sprintf("The current configuration does not fit version %s; change it first (see details).", version)
			e.ZH = fmt.Sprintf("当前配置不符合 %s 版本的要求,请先修改配置(见 details)。", version)
			return tenantRow{}, v, nil, &e
		}
		return tenantRow{}, v, nil, err
	}
	next := *cur
	changes := []audit.Change{{Field: "version", Before: cur.Version, After: v.Version}}
	changes = append(changes, configChanges(cur.Config, string(cfg))...)
	next.PreviousVersion, next.Version, next.Config = cur.Version, v.Version, string(cfg)
	if err := c.sealSecretsIfChanged(&next, cur.TenantID, name, stored, sec); err != nil {
		return tenantRow{}, v, nil, err
	}
	return next, v, changes, nil
}

// Disable stops the tenant's use of name. The row, its configuration and the
// plugin's data are kept; enabling again resumes with them.
func (c *Catalogue) Disable(ctx context.Context, tenantID uuid.UUID, name string) (Enablement, error) {
	return c.disable(ctx, tenantID, name, nil)
}

func (c *Catalogue) disable(ctx context.Context, tenantID uuid.UUID, name string, declared *string) (Enablement, error) {
	return c.change(ctx, tenantID, name, "plugin.disable", func(tx *gorm.DB, cur *tenantRow, vs versionSet) (tenantRow, versionRow, []audit.Change, error) {
		if cur == nil {
			return tenantRow{}, versionRow{}, nil, pluginhost.ErrNotEnabled
		}
		v, _ := vs.get(name, cur.Version)
		next := *cur
		if declared != nil {
			next.Declared = *declared
		}
		if !cur.Enabled {
			return next, v, nil, nil
		}
		next.Enabled = false
		return next, v, []audit.Change{{Field: "enabled", Before: true, After: false}}, nil
	})
}

// GetEnablement returns the tenant's enablement of name, with its
// configuration; ErrNotEnabled (404) when the tenant never enabled it.
func (c *Catalogue) GetEnablement(ctx context.Context, tenantID uuid.UUID, name string) (Enablement, error) {
	var out Enablement
	vs, err := c.versions(ctx, name, true)
	if err != nil {
		return out, err
	}
	err = c.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		r, err := getRow(tx, tenantID, name)
		if err != nil {
			return err
		}
		if r == nil {
			return pluginhost.ErrNotEnabled
		}
		v, _ := vs.get(name, r.Version)
		out = c.view(*r, v, true)
		return nil
	})
	return out, err
}

// ListTenant returns the tenant's plugins, enabled or disabled, by name;
// withConfig adds configurations (for the admin).
func (c *Catalogue) ListTenant(ctx context.Context, tenantID uuid.UUID, onlyEnabled, withConfig bool) ([]Enablement, error) {
	out := []Enablement{}
	all, err := c.versions(ctx, "", true)
	if err != nil {
		return out, err
	}
	err = c.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		rows, vs, err := tenantRows(tx, tenantID, onlyEnabled, all)
		for i, r := range rows {
			out = append(out, c.view(r, vs[i], withConfig))
		}
		return err
	})
	return out, err
}

// tenantRows reads the tenant's rows and their versions, by name.
func tenantRows(tx *gorm.DB, tenantID uuid.UUID, onlyEnabled bool, all versionSet) ([]tenantRow, []versionRow, error) {
	var rows []tenantRow
	q := tx.Where("tenant_id = ?", tenantID)
	if onlyEnabled {
		q = q.Where("enabled")
	}
	if err := q.Order("name").Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	vs := make([]versionRow, len(rows))
	for i, r := range rows {
		vs[i], _ = all.get(r.Name, r.Version)
	}
	return rows, vs, nil
}

// Available is what a tenant's admin may enable: every plugin of the
// catalogue with its unretired versions, and the plan's plugin quota.
type Available struct {
	Plugins []AvailablePlugin `json:"plugins"`
	Limit   int               `json:"limit"` // plugins the plan allows enabled at once; 0 = unlimited
	Used    int               `json:"used"`  // enabled now
}

// AvailablePlugin is one plugin of the catalogue as a tenant sees it.
type AvailablePlugin struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	TitleEN     string   `json:"title_en"`
	TitleZH     string   `json:"title_zh"`
	Description string   `json:"description,omitempty"`
	Latest      string   `json:"latest"`
	Versions    []string `json:"versions"` // newest first
	Enabled     bool     `json:"enabled"`
	Version     string   `json:"version,omitempty"` // pinned, when the tenant has the plugin
	// ConfigSchema is the latest version's JSON Schema, for the console's form.
	ConfigSchema json.RawMessage `json:"config_schema,omitempty"`
	Secrets      []string        `json:"secrets,omitempty"`
}

// Available lists what the tenant may enable and its plan's quota.
func (c *Catalogue) Available(ctx context.Context, tenantID uuid.UUID) (Available, error) {
	info, err := c.opt.Tenants.Info(ctx, tenantID)
	if err != nil {
		return Available{}, err
	}
	out := Available{Plugins: []AvailablePlugin{}, Limit: info.MaxPlugins}
	vs, err := c.versions(ctx, "", false)
	if err != nil {
		return out, err
	}
	err = c.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		rows, _, err := tenantRows(tx, tenantID, false, nil)
		if err != nil {
			return err
		}
		mine := map[string]tenantRow{}
		for _, r := range rows {
			mine[r.Name] = r
			if r.Enabled {
				out.Used++
			}
		}
		for _, v := range vs {
			n := len(out.Plugins)
			if n > 0 && out.Plugins[n-1].Name == v.Name {
				out.Plugins[n-1].Versions = append(out.Plugins[n-1].Versions, v.Version)
				continue
			}
			p := AvailablePlugin{Name: v.Name, Kind: v.Kind, Latest: v.Version, Versions: []string{v.Version}}
			if pm, err := c.manifestOf(v); err == nil {
				p.TitleEN, p.TitleZH, p.Description = pm.m.GetTitleEn(), pm.m.GetTitleZh(), pm.m.GetDescription()
				p.ConfigSchema, p.Secrets = json.RawMessage(pm.m.GetConfigSchema()), pm.m.GetSecrets()
				if len(p.ConfigSchema) == 0 {
					p.ConfigSchema = nil
				}
			}
			if r, ok := mine[v.Name]; ok {
				p.Enabled, p.Version = r.Enabled, r.Version
			}
			out.Plugins = append(out.Plugins, p)
		}
		return nil
	})
	return out, err
}

// Resolve answers what the tenant runs of plugin (pluginhost.Resolver):
// ErrNotEnabled when it has not enabled it, or its version is gone or retired.
// Config is the configuration without the secrets (see Secrets).
//
// Answers (ErrNotEnabled too) are cached for versionsTTL like Enabled's: the
// proxy resolves on every request, and a plugin route should not cost the
// core three database transactions. This process's changes drop them at once.
func (c *Catalogue) Resolve(ctx context.Context, tenantID uuid.UUID, plugin string) (pluginhost.Spec, error) {
	k := specKey{tenantID, plugin}
	if e, ok := c.specs.Load(k); ok {
		if se := e.(*specEntry); c.opt.Now().Sub(se.at) <= versionsTTL {
			return se.spec, se.err
		}
	}
	at, gen := c.opt.Now(), c.gen.Load()
	spec, err := c.resolve(ctx, tenantID, plugin)
	if (err == nil || errors.Is(err, pluginhost.ErrNotEnabled)) && c.gen.Load() == gen {
		c.specs.Store(k, &specEntry{at: at, spec: spec, err: err})
	}
	return spec, err
}

type specKey struct {
	tenant uuid.UUID
	plugin string
}

type specEntry struct {
	at   time.Time
	spec pluginhost.Spec
	err  error
}

// forgetSpecs drops a tenant's cached Resolve answers.
func (c *Catalogue) forgetSpecs(tenantID uuid.UUID) {
	c.specs.Range(func(k, _ any) bool {
		if k.(specKey).tenant == tenantID {
			c.specs.Delete(k)
		}
		return true
	})
}

func (c *Catalogue) resolve(ctx context.Context, tenantID uuid.UUID, plugin string) (pluginhost.Spec, error) {
	var (
		spec pluginhost.Spec
		r    *tenantRow
		v    versionRow
	)
	vs, err := c.versions(ctx, plugin, true)
	if err != nil {
		return spec, err
	}
	err = c.db.InTenant(ctx, tenantID, func(tx *gorm.DB) (err error) {
		if r, err = getRow(tx, tenantID, plugin); err != nil || r == nil || !r.Enabled {
			return err
		}
		v, err = vs.get(plugin, r.Version)
		return err
	})
	if errors.Is(err, ErrNotRegistered) || (err == nil && (r == nil || !r.Enabled || v.RetiredAt != nil)) {
		return spec, pluginhost.ErrNotEnabled
	}
	if err != nil {
		return spec, err
	}
	pm, err := c.manifestOf(v)
	if err != nil {
		return spec, err
	}
	info, err := c.opt.Tenants.Info(ctx, tenantID)
	if err != nil {
		return spec, err
	}
	return pluginhost.Spec{TenantID: tenantID, TenantCode: info.Code, TimeZone: info.TimeZone, Name: plugin, Version: v.Version,
		Path: v.Path, SHA256: v.SHA256, Manifest: pm.m, Config: json.RawMessage(r.Config)}, nil
}

// Secrets returns the decrypted secret values of the tenant's plugin, for
// Host.GetConfig; ErrNotEnabled when it is not enabled.
func (c *Catalogue) Secrets(ctx context.Context, tenantID uuid.UUID, plugin string) (map[string]string, error) {
	var r *tenantRow
	err := c.db.InTenant(ctx, tenantID, func(tx *gorm.DB) (err error) {
		r, err = getRow(tx, tenantID, plugin)
		return err
	})
	if err != nil {
		return nil, err
	}
	if r == nil || !r.Enabled {
		return nil, pluginhost.ErrNotEnabled
	}
	return c.openSecrets(*r)
}

// Enabled returns the tenant's enabled plugins with their manifests.
//
// Answers are cached per tenant for versionsTTL (the bus asks on every core
// event); this process's changes drop a tenant's at once, another node's
// are seen within the TTL.
func (c *Catalogue) Enabled(ctx context.Context, tenantID uuid.UUID) ([]Entry, error) {
	if e, ok := c.enabled.Load(tenantID); ok {
		if ce := e.(*enabledEntry); c.opt.Now().Sub(ce.at) <= versionsTTL {
			return append([]Entry(nil), ce.entries...), nil
		}
	}
	at, gen := c.opt.Now(), c.gen.Load()
	out, err := c.readEnabled(ctx, tenantID)
	if err == nil && c.gen.Load() == gen {
		c.enabled.Store(tenantID, &enabledEntry{at: at, entries: out})
	}
	return append([]Entry(nil), out...), err
}

type enabledEntry struct {
	at      time.Time
	entries []Entry
}

func (c *Catalogue) readEnabled(ctx context.Context, tenantID uuid.UUID) ([]Entry, error) {
	var out []Entry
	all, err := c.versions(ctx, "", true)
	if err != nil {
		return nil, err
	}
	err = c.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		rows, vs, err := tenantRows(tx, tenantID, true, all)
		if err != nil {
			return err
		}
		for i, r := range rows {
			if vs[i].Name == "" || vs[i].RetiredAt != nil {
				continue
			}
			pm, err := c.manifestOf(vs[i])
			if err != nil {
				c.opt.Log.WarnContext(ctx, "stored plugin manifest unreadable", "plugin", r.Name, "version", r.Version, "err", err)
				continue
			}
			out = append(out, Entry{Name: r.Name, Version: r.Version, Manifest: pm.m, Config: json.RawMessage(r.Config)})
		}
		return nil
	})
	return out, err
}

// Subscribers returns the names of the tenant's enabled plugins subscribed
// to eventType (exactly or by a "<prefix>.*" family), by name. The bus calls
// it inside the emitting transaction, which the read joins.
func (c *Catalogue) Subscribers(ctx context.Context, tenantID uuid.UUID, eventType string) ([]string, error) {
	es, err := c.Enabled(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range es {
		if subscribed(e.Manifest.GetSubscriptions(), eventType) {
			out = append(out, e.Name)
		}
	}
	return out, nil
}

// afterCommit drops the tenant's cached plugins and tells OnChange once the
// change is visible to others. In a request transaction (a tenant admin's
// API call) the change commits only when the request does, after this
// returns: a supervisor told now could resolve the old state and start the
// old binary or configuration. So there the row is watched, on a
// transaction of its own, until it shows the change (or 30 s pass: the
// request rolled back, and nothing changed).
func (c *Catalogue) afterCommit(ctx context.Context, tenantID uuid.UUID, name string, updatedAt time.Time) {
	c.gen.Add(1)
	c.enabled.Delete(tenantID)
	c.forgetSpecs(tenantID)
	if !store.InRequestTx(ctx) {
		c.changed(tenantID, name)
		return
	}
	bg := store.Detach(context.WithoutCancel(ctx))
	go func() {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			var r *tenantRow
			err := c.db.InTenant(bg, tenantID, func(tx *gorm.DB) (err error) {
				r, err = getRow(tx, tenantID, name)
				return err
			})
			if err == nil && r != nil && !r.UpdatedAt.Before(updatedAt) {
				c.enabled.Delete(tenantID)
				c.changed(tenantID, name)
				return
			}
		}
	}()
}
