package catalogue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"gorm.io/gorm"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

func actorFrom(ctx context.Context) (actor.Actor, bool) {
	a, ok := actor.From(ctx)
	return a, ok && a.Kind != ""
}

// versionRow is a row of plugin_versions.
type versionRow struct {
	Name         string `gorm:"primaryKey"`
	Version      string `gorm:"primaryKey"`
	Kind         string
	APIVersion   uint32 `gorm:"column:api_version"`
	Path         string
	SHA256       string `gorm:"column:sha256"`
	Manifest     string
	RetiredAt    *time.Time
	RegisteredAt time.Time
	UpdatedAt    time.Time
}

func (versionRow) TableName() string { return "plugin_versions" }

// Version is one registered plugin binary as the operator sees it.
type Version struct {
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Kind         string          `json:"kind"` // feature or driver
	APIVersion   uint32          `json:"api_version"`
	Path         string          `json:"path"`
	SHA256       string          `json:"sha256"`
	Retired      bool            `json:"retired"`
	RetiredAt    *time.Time      `json:"retired_at,omitempty"`
	RegisteredAt time.Time       `json:"registered_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	Manifest     json.RawMessage `json:"manifest,omitempty"` // the manifest as the plugin described it (protojson)
}

func (r versionRow) view(withManifest bool) Version {
	v := Version{Name: r.Name, Version: r.Version, Kind: r.Kind, APIVersion: r.APIVersion, Path: r.Path, SHA256: r.SHA256,
		Retired: r.RetiredAt != nil, RetiredAt: r.RetiredAt, RegisteredAt: r.RegisteredAt, UpdatedAt: r.UpdatedAt}
	if withManifest {
		v.Manifest = json.RawMessage(r.Manifest)
	}
	return v
}

func kindName(k wuyepb.Kind) string {
	switch k {
	case wuyepb.Kind_KIND_FEATURE:
		return "feature"
	case wuyepb.Kind_KIND_DRIVER:
		return "driver"
	}
	return ""
}

// RegisterInput registers the binary at Path. Name and Version, when given,
// must be what the binary's manifest says; SHA256, when given, must be the
// file's (a check that the operator registers the file they meant).
type RegisterInput struct {
	Path    string `json:"path"`
	SHA256  string `json:"sha256,omitempty"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	// Replace overwrites a registration of the same name and version whose
	// binary differs (a rebuild without a version bump). Without it that is
	// refused (plugin_version_exists): a version names one binary.
	Replace bool `json:"replace,omitempty"`
}

// Registration outcomes.
const (
	Registered = "registered"
	Replaced   = "replaced"
	Unchanged  = "unchanged"
)

// RegisterResult is what Register did.
type RegisterResult struct {
	Outcome string  `json:"outcome"`
	Version Version `json:"plugin"`
}

func binaryError(field, code, en, zh string) error {
	return ErrBinary.WithDetails([]apperr.FieldError{{Field: field, Code: code, EN: en, ZH: zh}})
}

// fileSHA256 hashes the regular, executable file at path.
func fileSHA256(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", binaryError("path", "not_found", "no readable file at "+path, "找不到文件 "+path)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return "", binaryError("path", "not_executable", path+" is not an executable file", path+" 不是可执行文件")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", binaryError("path", "unreadable", err.Error(), "无法读取:"+err.Error())
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkManifest refuses a manifest the host could not honour.
func checkManifest(m *wuyepb.Manifest, in RegisterInput) error {
	var fe []apperr.FieldError
	add := func(field, code, en, zh string) {
		fe = append(fe, apperr.FieldError{Field: field, Code: code, EN: en, ZH: zh})
	}
	if !nameRe.MatchString(m.GetName()) {
		add("manifest.name", "invalid_name", "name must be lowercase letters, digits and hyphens (at most 40)", "插件名只能包含小写字母、数字和连字符(最多 40 个)")
	}
	if !versionRe.MatchString(m.GetVersion()) {
		add("manifest.version", "invalid_version", "version must be a semantic version such as 1.4.0", "版本号须为语义化版本,例如 1.4.0")
	}
	if in.Name != "" && in.Name != m.GetName() {
		add("manifest.name", "name_mismatch", fmt.Sprintf("the binary describes itself as %q, not %q", m.GetName(), in.Name), fmt.Sprintf("该程序自称 %q,而不是 %q", m.GetName(), in.Name))
	}
	if in.Version != "" && in.Version != m.GetVersion() {
		add("manifest.version", "version_mismatch", fmt.Sprintf("the binary describes itself as version %q, not %q", m.GetVersion(), in.Version), fmt.Sprintf("该程序自称版本 %q,而不是 %q", m.GetVersion(), in.Version))
	}
	if kindName(m.GetKind()) == "" {
		add("manifest.kind", "invalid_kind", "kind must be feature or driver", "类型须为 feature 或 driver")
	}
	if m.GetApiVersion() == 0 {
		add("manifest.api_version", "required", "api_version is required", "api_version 必填")
	}
	if _, err := compileSchema(m.GetConfigSchema()); err != nil {
		add("manifest.config_schema", "invalid_schema", "config_schema is not a usable JSON Schema: "+err.Error(), "config_schema 不是可用的 JSON Schema:"+err.Error())
	}
	perms := map[string]bool{}
	for i, p := range m.GetPermissions() {
		if p.GetCode() == "" || perms[p.GetCode()] {
			add(fmt.Sprintf("manifest.permissions[%d].code", i), "invalid_permission", "permission codes must be present and unique", "权限编码不能为空且不能重复")
		}
		perms[p.GetCode()] = true
	}
	routes := map[string]bool{}
	for i, r := range m.GetRoutes() {
		switch r.GetMethod() {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			add(fmt.Sprintf("manifest.routes[%d].method", i), "invalid_method", "method must be GET, POST, PUT, PATCH or DELETE", "方法须为 GET、POST、PUT、PATCH 或 DELETE")
		}
		if !strings.HasPrefix(r.GetPath(), "/") {
			add(fmt.Sprintf("manifest.routes[%d].path", i), "invalid_path", "path must start with /", "路径须以 / 开头")
		}
		if k := r.GetMethod() + " " + r.GetPath(); routes[k] {
			add(fmt.Sprintf("manifest.routes[%d]", i), "duplicate", "route "+k+" is declared twice", "路由 "+k+" 重复声明")
		} else {
			routes[k] = true
		}
		if r.GetPermission() == "" {
			add(fmt.Sprintf("manifest.routes[%d].permission", i), "required", "every route needs a permission", "每个路由都需要声明权限")
		}
	}
	for i, s := range m.GetSecrets() {
		if s == "" {
			add(fmt.Sprintf("manifest.secrets[%d]", i), "required", "secret names must not be empty", "密钥名不能为空")
		}
	}
	if len(fe) > 0 {
		return ErrManifest.WithDetails(fe)
	}
	return nil
}

// Register records the binary at in.Path with its checksum and the manifest
// it describes. Registering the same file again changes nothing.
func (c *Catalogue) Register(ctx context.Context, in RegisterInput) (RegisterResult, error) {
	if in.Path == "" {
		return RegisterResult{}, binaryError("path", "required", "path is required", "path 必填")
	}
	path, err := filepath.Abs(in.Path)
	if err != nil {
		return RegisterResult{}, err
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return RegisterResult{}, err
	}
	if in.SHA256 != "" && !strings.EqualFold(in.SHA256, sum) {
		return RegisterResult{}, binaryError("sha256", "checksum_mismatch", "the file's SHA-256 is "+sum, "该文件的 SHA-256 为 "+sum)
	}
	if c.opt.Describe == nil {
		return RegisterResult{}, ErrNoDescriber
	}
	m, err := c.opt.Describe(ctx, path, sum)
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return RegisterResult{}, err
		}
		return RegisterResult{}, binaryError("path", "describe_failed", "the binary did not describe itself: "+err.Error(), "该程序未能给出自述清单:"+err.Error())
	}
	if err := checkManifest(m, in); err != nil {
		return RegisterResult{}, err
	}
	raw, err := protojson.Marshal(m)
	if err != nil {
		return RegisterResult{}, err
	}
	now := c.now()
	row := versionRow{Name: m.GetName(), Version: m.GetVersion(), Kind: kindName(m.GetKind()), APIVersion: m.GetApiVersion(),
		Path: path, SHA256: sum, Manifest: string(raw), RegisteredAt: now, UpdatedAt: now}
	res := RegisterResult{Outcome: Registered}
	var pinned []uuid.UUID
	err = c.db.Platform(ctx, func(tx *gorm.DB) error {
		var old []versionRow
		if err := tx.Where("name = ? AND version = ?", row.Name, row.Version).Limit(1).Find(&old).Error; err != nil {
			return err
		}
		if len(old) == 1 {
			o := old[0]
			row.RegisteredAt, row.RetiredAt = o.RegisteredAt, o.RetiredAt
			switch {
			case o.SHA256 == sum && o.Path == path && o.Manifest == row.Manifest:
				res = RegisterResult{Outcome: Unchanged, Version: o.view(true)}
				return nil
			case o.SHA256 != sum && !in.Replace:
				return ErrVersionExists.WithDetails(map[string]string{"registered_sha256": o.SHA256, "sha256": sum})
			}
			res.Outcome = Replaced
			if err := tx.Model(&tenantRow{}).Where("name = ? AND version = ? AND enabled", row.Name, row.Version).Pluck("tenant_id", &pinned).Error; err != nil {
				return err
			}
		}
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		res.Version = row.view(true)
		return nil
	})
	if err != nil || res.Outcome == Unchanged {
		return res, err
	}
	c.forget()
	c.recordPlatform(ctx, "plugin."+map[string]string{Registered: "register", Replaced: "replace"}[res.Outcome], row.Name, row.Version,
		"sha256 "+sum+" at "+path)
	for _, t := range pinned {
		c.changed(t, row.Name)
	}
	return res, nil
}

func (c *Catalogue) recordPlatform(ctx context.Context, action, name, version, detail string) {
	if c.opt.Audit == nil {
		return
	}
	e := audit.Entry{Action: action, Object: "plugin/" + name + "@" + version, ObjectType: "plugin_version", ObjectID: name + "@" + version, Result: audit.ResultOK, Detail: detail}
	actorOf(ctx, &e, "plugin catalogue")
	if err := c.opt.Audit.RecordPlatform(ctx, e); err != nil {
		c.opt.Log.ErrorContext(ctx, "audit record failed", "action", action, "plugin", name, "err", err)
	}
}

// ListFilter narrows List.
type ListFilter struct {
	Name    string
	Retired bool // include retired versions
}

// List returns registered versions by name, newest version first.
func (c *Catalogue) List(ctx context.Context, f ListFilter) ([]Version, error) {
	c.forget() // the operator sees other nodes' registrations at once
	rows, err := c.versions(ctx, f.Name, f.Retired)
	if err != nil {
		return nil, err
	}
	out := make([]Version, len(rows))
	for i, r := range rows {
		out[i] = r.view(false)
	}
	return out, nil
}

// versions reads plugin_versions on the platform pool (the tenant role has
// no grant on it), sorted by name then newest first.
//
// The whole catalogue (a few hundred rows at most) is cached for
// versionsTTL: Resolve and Subscribers run per process start and per event.
// This process's own changes drop the cache at once; another node's are seen
// within the TTL (a retired version may start once more meanwhile).
func (c *Catalogue) versions(ctx context.Context, name string, retired bool) (versionSet, error) {
	c.mu.RLock()
	all, at := c.cache, c.cachedAt
	c.mu.RUnlock()
	if all == nil || c.opt.Now().Sub(at) > versionsTTL {
		gen := c.gen.Load()
		var rows []versionRow
		if err := c.db.Platform(ctx, func(tx *gorm.DB) error { return tx.Find(&rows).Error }); err != nil {
			return nil, err
		}
		sortVersions(rows)
		all = rows
		c.mu.Lock()
		if c.gen.Load() == gen { // no change committed while reading
			c.cache, c.cachedAt = all, c.opt.Now()
		}
		c.mu.Unlock()
	}
	var out versionSet
	for _, v := range all {
		if (name == "" || v.Name == name) && (retired || v.RetiredAt == nil) {
			out = append(out, v)
		}
	}
	return out, nil
}

// versionsTTL bounds how long a cached catalogue is trusted.
const versionsTTL = 2 * time.Second

// forget drops the cached catalogue after a change of it.
func (c *Catalogue) forget() {
	c.gen.Add(1)
	c.mu.Lock()
	c.cache = nil
	c.mu.Unlock()
	c.enabled.Clear()
	c.specs.Clear()
}

func sortVersions(rows []versionRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Name != rows[j].Name {
			return rows[i].Name < rows[j].Name
		}
		return compareVersions(rows[i].Version, rows[j].Version) > 0
	})
}

// Get returns one registered version with its manifest.
func (c *Catalogue) Get(ctx context.Context, name, version string) (Version, error) {
	var r versionRow
	err := c.db.Platform(ctx, func(tx *gorm.DB) (err error) {
		r, err = getVersion(tx, name, version)
		return err
	})
	return r.view(true), err
}

func getVersion(tx *gorm.DB, name, version string) (versionRow, error) {
	var r versionRow
	err := tx.Where("name = ? AND version = ?", name, version).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, ErrNotRegistered
	}
	return r, err
}

// Retire withdraws a version: no tenant can enable it or move to it. It is
// refused while a tenant has the version enabled, since its plugin would stop
// without anyone having chosen that; the details say how many tenants and
// which. Tenants pinned to it with the plugin disabled are not counted:
// enabling again moves them to the latest version.
func (c *Catalogue) Retire(ctx context.Context, name, version string) (Version, error) {
	var r versionRow
	err := c.db.Platform(ctx, func(tx *gorm.DB) (err error) {
		if r, err = getVersion(tx, name, version); err != nil || r.RetiredAt != nil {
			return err
		}
		var codes []string
		if err := tx.Table("tenant_plugins").Joins("JOIN tenants ON tenants.id = tenant_plugins.tenant_id").
			Where("tenant_plugins.name = ? AND tenant_plugins.version = ? AND tenant_plugins.enabled", name, version).
			Order("tenants.code").Pluck("tenants.code", &codes).Error; err != nil {
			return err
		}
		if len(codes) > 0 {
			return ErrInUse.WithDetails(map[string]any{"tenants": len(codes), "tenant_codes": first(codes, 20)})
		}
		now := c.now()
		r.RetiredAt, r.UpdatedAt = &now, now
		return tx.Save(&r).Error
	})
	c.forget()
	if err == nil {
		c.recordPlatform(ctx, "plugin.retire", name, version, "")
	}
	return r.view(false), err
}

// Restore puts a retired version back in the catalogue.
func (c *Catalogue) Restore(ctx context.Context, name, version string) (Version, error) {
	var r versionRow
	err := c.db.Platform(ctx, func(tx *gorm.DB) (err error) {
		if r, err = getVersion(tx, name, version); err != nil || r.RetiredAt == nil {
			return err
		}
		r.RetiredAt, r.UpdatedAt = nil, c.now()
		return tx.Save(&r).Error
	})
	c.forget()
	if err == nil {
		c.recordPlatform(ctx, "plugin.restore", name, version, "")
	}
	return r.view(false), err
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ScanResult is what RegisterDir did with each binary it found.
type ScanResult struct {
	Path    string `json:"path"`
	Outcome string `json:"outcome,omitempty"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
}

// RegisterDir registers every executable in dir and dir/drivers (the layout
// `make build` writes: bin/plugins/<name>, bin/plugins/drivers/<name>); each
// must describe itself under its file name. It is idempotent. A binary whose
// checksum changed while its version did not replaces the registration: the
// folder is the operator's own installation, and a rebuilt binary is what
// they mean to run (the checksum is then checked against it before every
// start). A binary that cannot be registered is reported, not fatal; a
// missing dir is no binaries.
func (c *Catalogue) RegisterDir(ctx context.Context, dir string) ([]ScanResult, error) {
	var out []ScanResult
	for _, d := range []string{dir, filepath.Join(dir, "drivers")} {
		ents, err := os.ReadDir(d)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return out, err
		}
		for _, e := range ents {
			info, err := e.Info()
			if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(d, e.Name())
			name := strings.TrimSuffix(e.Name(), ".exe")
			r := ScanResult{Path: p}
			res, err := c.Register(ctx, RegisterInput{Path: p, Name: name, Replace: true})
			if err != nil {
				r.Error = err.Error()
				if ae, ok := apperr.As(err); ok {
					b, _ := json.Marshal(ae.Details)
					r.Error = ae.EN + " " + string(b)
				}
			} else {
				r.Outcome, r.Name, r.Version = res.Outcome, res.Version.Name, res.Version.Version
			}
			out = append(out, r)
		}
	}
	return out, nil
}
