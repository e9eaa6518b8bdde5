package notify

import (
	"slices"
	"strings"
	"sync"
)

// Runtime templates: the catalogue above is the product's own; plugins bring
// theirs at run time (Manifest.templates, coded "<plugin>.<code>", registered
// by the plugin host when it starts a plugin's process). They are
// tenant-independent like the catalogue, in the "plugin" category, and may
// not take a catalogue code. A later registration of the same code replaces
// the texts (a new version of the plugin). Tenants cannot override them yet.

// CategoryPlugin is the preference group of every plugin's notifications.
const CategoryPlugin = "plugin"

var runtime = struct {
	sync.RWMutex
	m map[string]Kind
}{m: map[string]Kind{}}

// RegisterKind adds or replaces a runtime template. Its code must be
// "<plugin>.<code>" and must not be a catalogue code; its variables are the
// placeholders its texts use.
func RegisterKind(code string, zh, en Text) error {
	prefix, rest, ok := strings.Cut(code, ".")
	if !ok || prefix == "" || rest == "" || len(code) > 200 {
		return ErrUnknownTemplate
	}
	if _, builtin := kindByCode[code]; builtin {
		return ErrUnknownTemplate
	}
	k := Kind{Code: code, Category: CategoryPlugin, Channels: []string{}, Default: map[string]Text{"zh": zh, "en": en}}
	for _, s := range []string{zh.Subject, zh.Body, en.Subject, en.Body} {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			if !slices.Contains(k.Vars, m[1]) {
				k.Vars = append(k.Vars, m[1])
			}
		}
	}
	runtime.Lock()
	runtime.m[code] = k
	runtime.Unlock()
	return nil
}

// kindOf finds a code in the catalogue, then among the runtime templates.
func kindOf(code string) (Kind, bool) {
	if k, ok := kindByCode[code]; ok {
		return k, true
	}
	runtime.RLock()
	defer runtime.RUnlock()
	k, ok := runtime.m[code]
	return k, ok
}
