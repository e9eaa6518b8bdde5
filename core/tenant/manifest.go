package tenant

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wuye-project/wuye/core/apperr"
)

// Manifest declares one tenant (tenants/*.yaml). Unknown keys are errors,
// except under seed, which is free data handed to registered seeders.
type Manifest struct {
	Code string `yaml:"code" json:"code"`
	Name string `yaml:"name" json:"name"`
	Plan string `yaml:"plan" json:"plan"`
	// Status is active or suspended. When empty, Apply leaves an existing
	// tenant's status alone (so an operator's suspension survives re-applying)
	// and creates a new tenant active.
	Status string `yaml:"status" json:"status,omitempty"`
	// TimeZone is the tenant's IANA zone. When empty, Apply leaves an
	// existing tenant's zone alone and creates a new one with DefaultTimeZone.
	TimeZone string         `yaml:"time_zone" json:"time_zone,omitempty"`
	Admins   []UserSpec     `yaml:"admins" json:"admins"`
	Users    []UserSpec     `yaml:"users" json:"users,omitempty"`
	Plugins  []PluginSpec   `yaml:"plugins" json:"plugins,omitempty"`
	Devices  []DeviceSpec   `yaml:"devices" json:"devices,omitempty"`
	Seed     map[string]any `yaml:"seed" json:"seed,omitempty"`

	dir string // folder password_file is relative to; empty when not read from a file
}

// UserSpec is an administrator (admins:) or a staff user with a role (users:).
type UserSpec struct {
	Username string `yaml:"username" json:"username"`
	Name     string `yaml:"name" json:"name"`
	Phone    string `yaml:"phone" json:"phone,omitempty"`
	Email    string `yaml:"email" json:"email,omitempty"`
	// Password, or PasswordFile (relative to the manifest); when both are
	// absent a strong password is generated and returned once by Apply.
	Password     string `yaml:"password" json:"password,omitempty"`
	PasswordFile string `yaml:"password_file" json:"password_file,omitempty"`
	Role         string `yaml:"role" json:"role,omitempty"` // users: required; admins: admin or empty
}

// PluginSpec declares one plugin for the tenant; Enabled defaults to true.
type PluginSpec struct {
	Name    string         `yaml:"name" json:"name"`
	Enabled *bool          `yaml:"enabled" json:"enabled,omitempty"`
	Config  map[string]any `yaml:"config" json:"config,omitempty"`
}

// DeviceSpec declares one device of the tenant's (core/device), run by an
// enabled driver plugin. Each declaration is applied once, like plugins:.
// Token fixes the device's ingress token (a demo simulator's); without it
// one is generated (and readable only by rotating it).
type DeviceSpec struct {
	Name             string            `yaml:"name" json:"name"`
	Community        string            `yaml:"community" json:"community"` // by name
	Class            string            `yaml:"class" json:"class"`
	Driver           string            `yaml:"driver" json:"driver"`
	Place            string            `yaml:"place" json:"place,omitempty"`
	Direction        string            `yaml:"direction" json:"direction,omitempty"`
	Config           map[string]any    `yaml:"config" json:"config,omitempty"`
	Secrets          map[string]string `yaml:"secrets" json:"secrets,omitempty"`
	Token            string            `yaml:"token" json:"token,omitempty"`
	HeartbeatSeconds int               `yaml:"heartbeat_seconds" json:"heartbeat_seconds,omitempty"`
}

// ParseManifest reads a YAML manifest strictly: unknown keys, a second
// document or a type mismatch are errors naming the line.
func ParseManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return m, manifestError(apperr.FieldError{Code: "empty", EN: "the manifest is empty", ZH: "清单为空"})
		}
		return m, yamlError(err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return m, manifestError(apperr.FieldError{Code: "multiple_documents", EN: "one manifest per file: remove the second YAML document", ZH: "每个文件只能有一个清单,请删除第二个 YAML 文档"})
	}
	return m, m.validate()
}

// ParseManifestJSON reads a manifest sent as JSON, as strictly as YAML.
func ParseManifestJSON(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, manifestError(apperr.FieldError{Code: "json", EN: err.Error(), ZH: err.Error()})
	}
	if dec.More() {
		return m, manifestError(apperr.FieldError{Code: "json", EN: "trailing data after the manifest", ZH: "清单之后有多余内容"})
	}
	return m, m.validate()
}

// LoadManifest reads a manifest file; password_file paths are relative to it.
func LoadManifest(path string) (Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, err
	}
	m, err := ParseManifest(data)
	if err != nil {
		if e, ok := apperr.As(err); ok {
			c := *e
			c.EN, c.ZH = path+": "+e.EN, path+":"+e.ZH
			return m, &c
		}
		return m, err
	}
	m.dir = filepath.Dir(path)
	return m, nil
}

var (
	yamlLineRe    = regexp.MustCompile(`line (\d+): (.*)`)
	yamlUnknownRe = regexp.MustCompile(`field (\S+) not found in type \S+`)
)

// yamlError turns the decoder's errors into field errors named by line,
// without Go type names.
func yamlError(err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	fe := make([]apperr.FieldError, 0, len(msgs))
	for _, msg := range msgs {
		f := apperr.FieldError{Code: "yaml"}
		if sm := yamlLineRe.FindStringSubmatch(msg); sm != nil {
			f.Field, msg = "line "+sm[1], sm[2]
		}
		if yamlUnknownRe.MatchString(msg) {
			f.Code = "unknown_key"
			msg = yamlUnknownRe.ReplaceAllString(msg, `unknown key "$1"`)
		}
		f.EN, f.ZH = msg, msg
		fe = append(fe, f)
	}
	return manifestError(fe...)
}

// manifestError is manifest_invalid with the first problem in the message
// (the CLI prints only the message) and all of them in details.
func manifestError(fe ...apperr.FieldError) error {
	e := ErrManifest.WithDetails(fe)
	first := fe[0]
	where := first.Field
	if where != "" {
		where += ": "
	}
	more := ""
	if len(fe) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(fe)-1)
	}
	e.EN = "The tenant manifest is invalid: " + where + first.EN + more
	e.ZH = "租户清单有误:" + where + first.ZH + more
	return e
}

var (
	roleRe   = regexp.MustCompile(`^[a-z][a-z0-9_-]{1,39}$`)
	pluginRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
)

func (m *Manifest) validate() error {
	m.Name = strings.TrimSpace(m.Name)
	fe := checkCode("code", m.Code)
	fe = append(fe, checkName("name", m.Name)...)
	if m.Plan == "" {
		fe = append(fe, apperr.FieldError{Field: "plan", Code: "required", EN: "plan is required", ZH: "套餐必填"})
	}
	switch m.Status {
	case "", StatusActive, StatusSuspended:
	default:
		fe = append(fe, apperr.FieldError{Field: "status", Code: "invalid_status", EN: "status must be active or suspended", ZH: "status 只能是 active 或 suspended"})
	}
	fe = append(fe, checkTimeZone("time_zone", m.TimeZone)...)
	if len(m.Admins) == 0 {
		fe = append(fe, apperr.FieldError{Field: "admins", Code: "required", EN: "declare at least one administrator under admins", ZH: "admins 中至少要有一个管理员"})
	}
	seen := map[string]bool{}
	check := func(field string, u UserSpec, admin bool) {
		fe = append(fe, checkUser(field, u.spec(""))...)
		if seen[u.Username] {
			fe = append(fe, apperr.FieldError{Field: field + ".username", Code: "duplicate", EN: "username " + u.Username + " is declared twice", ZH: "用户名 " + u.Username + " 重复声明"})
		}
		seen[u.Username] = true
		if u.Password != "" && u.PasswordFile != "" {
			fe = append(fe, apperr.FieldError{Field: field + ".password_file", Code: "conflict", EN: "give password or password_file, not both", ZH: "password 与 password_file 只能二选一"})
		}
		switch {
		case admin && u.Role != "" && u.Role != "admin":
			fe = append(fe, apperr.FieldError{Field: field + ".role", Code: "invalid_role", EN: "admins always have the admin role; declare other roles under users", ZH: "admins 固定为 admin 角色,其他角色请写在 users 下"})
		case !admin && (!roleRe.MatchString(u.Role) || u.Role == "operator"):
			fe = append(fe, apperr.FieldError{Field: field + ".role", Code: "invalid_role", EN: "each user needs a tenant role such as manager, finance, frontdesk or technician", ZH: "每个用户都需要一个租户角色,例如 manager、finance、frontdesk、technician"})
		}
	}
	for i, u := range m.Admins {
		check(fmt.Sprintf("admins[%d]", i), u, true)
	}
	for i, u := range m.Users {
		check(fmt.Sprintf("users[%d]", i), u, false)
	}
	names := map[string]bool{}
	for i, p := range m.Plugins {
		f := fmt.Sprintf("plugins[%d].name", i)
		if !pluginRe.MatchString(p.Name) {
			fe = append(fe, apperr.FieldError{Field: f, Code: "invalid_plugin", EN: "plugin name must be lowercase letters, digits and hyphens", ZH: "插件名只能包含小写字母、数字和连字符"})
		}
		if names[p.Name] {
			fe = append(fe, apperr.FieldError{Field: f, Code: "duplicate", EN: "plugin " + p.Name + " is declared twice", ZH: "插件 " + p.Name + " 重复声明"})
		}
		names[p.Name] = true
	}
	devices := map[string]bool{}
	for i, d := range m.Devices {
		f := fmt.Sprintf("devices[%d]", i)
		if strings.TrimSpace(d.Name) == "" || devices[d.Name] {
			fe = append(fe, apperr.FieldError{Field: f + ".name", Code: "invalid_device", EN: "each device needs a name of its own", ZH: "每个设备都需要唯一的名称"})
		}
		devices[d.Name] = true
		if !pluginRe.MatchString(d.Driver) {
			fe = append(fe, apperr.FieldError{Field: f + ".driver", Code: "invalid_plugin", EN: "driver must be a plugin name", ZH: "驱动须为插件名"})
		}
		if strings.TrimSpace(d.Community) == "" {
			fe = append(fe, apperr.FieldError{Field: f + ".community", Code: "required", EN: "name the device's community", ZH: "请填写设备所在小区"})
		}
		if d.Token != "" && len(d.Token) < 16 {
			fe = append(fe, apperr.FieldError{Field: f + ".token", Code: "weak_token", EN: "a device token has at least 16 characters", ZH: "设备令牌至少 16 个字符"})
		}
	}
	if len(fe) > 0 {
		return manifestError(fe...)
	}
	return nil
}

func (u UserSpec) spec(role string) AdminSpec {
	if role == "" {
		role = u.Role
	}
	return AdminSpec{Username: u.Username, Name: u.Name, Phone: u.Phone, Email: u.Email, Password: u.Password, Role: role}
}

// userSpecs returns admins then users as AdminSpecs, reading password files.
func (m Manifest) userSpecs() ([]AdminSpec, error) {
	var out []AdminSpec
	add := func(field string, u UserSpec, role string) error {
		if u.PasswordFile != "" {
			if m.dir == "" {
				return manifestError(apperr.FieldError{Field: field + ".password_file", Code: "not_allowed",
					EN: "password_file is read only from manifest files applied on the server (wuye tenants apply -f); send password or let one be generated",
					ZH: "password_file 仅在服务器上用 wuye tenants apply -f 应用文件时读取;请直接提供 password 或由系统生成"})
			}
			p := u.PasswordFile
			if !filepath.IsAbs(p) {
				p = filepath.Join(m.dir, p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return manifestError(apperr.FieldError{Field: field + ".password_file", Code: "unreadable", EN: err.Error(), ZH: "无法读取密码文件:" + err.Error()})
			}
			if u.Password = strings.TrimRight(string(b), "\r\n"); u.Password == "" {
				return manifestError(apperr.FieldError{Field: field + ".password_file", Code: "empty", EN: "the password file is empty", ZH: "密码文件为空"})
			}
		}
		out = append(out, u.spec(role))
		return nil
	}
	for i, u := range m.Admins {
		if err := add(fmt.Sprintf("admins[%d]", i), u, "admin"); err != nil {
			return nil, err
		}
	}
	for i, u := range m.Users {
		if err := add(fmt.Sprintf("users[%d]", i), u, ""); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pluginSettings is the manifest's plugin list as stored in settings. The
// config goes through JSON so YAML and JSON values compare equal to what
// was stored (ints vs float64).
func (m Manifest) pluginSettings() (map[string]PluginSetting, error) {
	out := map[string]PluginSetting{}
	for _, p := range m.Plugins {
		ps := PluginSetting{Enabled: p.Enabled == nil || *p.Enabled}
		if len(p.Config) > 0 {
			b, err := json.Marshal(p.Config)
			if err != nil {
				return nil, manifestError(apperr.FieldError{Field: "plugins." + p.Name + ".config", Code: "invalid_config", EN: err.Error(), ZH: err.Error()})
			}
			if err := json.Unmarshal(b, &ps.Config); err != nil {
				return nil, err
			}
		}
		out[p.Name] = ps
	}
	return out, nil
}

// deviceSettings is the manifest's device list as stored in settings, its
// config through JSON as for plugins.
func (m Manifest) deviceSettings() ([]DeviceSpec, error) {
	if len(m.Devices) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m.Devices)
	if err != nil {
		return nil, manifestError(apperr.FieldError{Field: "devices", Code: "invalid_config", EN: err.Error(), ZH: err.Error()})
	}
	var out []DeviceSpec
	return out, json.Unmarshal(b, &out)
}

func sameDevices(a, b []DeviceSpec) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func samePlugins(a, b map[string]PluginSetting) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
