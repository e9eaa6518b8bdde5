package catalogue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
)

// SyncResult says what Sync did for one tenant. Notes are declarations that
// could not take effect (a plugin not registered, a config its schema
// refuses, the plan's quota); they are reported, never fatal.
type SyncResult struct {
	Changes []string `json:"changes,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

// Sync makes the tenant manifest's plugins: section take effect: a declared
// plugin is enabled (the latest registered version, or the pinned one when
// the tenant has it) with the declared config; one declared enabled: false
// is disabled (data kept). Each plugin's declaration is applied once: the row
// remembers the declaration it last applied, so calling Sync on every boot
// or apply does not undo what the admin changed since, until the manifest
// itself changes. Plugins the manifest no longer names are left as they are.
func (c *Catalogue) Sync(ctx context.Context, tenantID uuid.UUID) (SyncResult, error) {
	var res SyncResult
	info, err := c.opt.Tenants.Info(ctx, tenantID)
	if err != nil {
		return res, err
	}
	names := make([]string, 0, len(info.Declared))
	for n := range info.Declared {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		d := info.Declared[name]
		b, _ := json.Marshal(d)
		decl := string(b)
		var cur *tenantRow
		if err := c.db.InTenant(ctx, tenantID, func(tx *gorm.DB) (err error) {
			cur, err = getRow(tx, tenantID, name)
			return err
		}); err != nil {
			return res, err
		}
		if cur != nil && cur.Declared == decl {
			continue
		}
		var cfg json.RawMessage
		if d.Config != nil {
			cfg, _ = json.Marshal(d.Config)
		}
		switch {
		case !d.Enabled && cur == nil:
			continue // nothing to disable; nothing to remember either
		case !d.Enabled:
			if _, err := c.disable(ctx, tenantID, name, &decl); err != nil {
				return res, err
			}
			if cur.Enabled {
				res.Changes = append(res.Changes, "plugin "+name+" disabled")
			}
		case cur != nil && cur.Enabled:
			if cfg == nil {
				cfg = json.RawMessage("{}")
			}
			e, err := c.configure(ctx, tenantID, name, cfg, &decl)
			if note, ok := syncNote(name, err); ok {
				res.Notes = append(res.Notes, note)
				continue
			} else if err != nil {
				return res, err
			}
			if string(e.Config) != cur.Config {
				res.Changes = append(res.Changes, "plugin "+name+" configured")
			}
		default:
			if cfg == nil {
				cfg = json.RawMessage("{}")
			}
			e, err := c.enable(ctx, tenantID, name, EnableInput{Config: cfg}, &decl)
			if note, ok := syncNote(name, err); ok {
				res.Notes = append(res.Notes, note)
				continue
			} else if err != nil {
				return res, err
			}
			res.Changes = append(res.Changes, fmt.Sprintf("plugin %s enabled (%s)", name, e.Version))
		}
	}
	return res, nil
}

// syncNote turns a declaration that cannot take effect into a note.
func syncNote(name string, err error) (string, bool) {
	if err == nil {
		return "", false
	}
	ae, ok := apperr.As(err)
	if !ok {
		return "", false
	}
	if errors.Is(err, ErrNotRegistered) {
		return "plugin " + name + " is declared but not registered in the plugin catalogue; it is enabled once registered", true
	}
	switch ae.Kind {
	case apperr.KindInvalid, apperr.KindForbidden, apperr.KindConflict:
		msg := "plugin " + name + ": " + ae.EN
		if d, err := json.Marshal(ae.Details); err == nil && ae.Details != nil {
			msg += " " + string(d)
		}
		return msg, true
	}
	return "", false
}
