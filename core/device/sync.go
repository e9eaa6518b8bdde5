package device

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// Declaration is one device of a tenant manifest's devices: section, its
// community already resolved.
type Declaration struct {
	Name             string
	CommunityID      uuid.UUID
	Class            string
	Driver           string
	Place            string
	Direction        string
	Config           map[string]any
	Secrets          map[string]string
	Token            string // fixed ingress token (demo simulators); empty: generated
	HeartbeatSeconds int
	// Key is the declaration as written (JSON): what is remembered.
	Key string
}

// SyncResult says what Sync did; Notes are declarations that could not take
// effect (a driver not enabled yet, a config its schema refuses) and are
// tried again on the next Sync.
type SyncResult struct {
	Changes []string
	Notes   []string
}

// Sync makes a tenant manifest's devices take effect: a device missing by
// name is created, one whose declaration changed since it was last applied
// is updated. Each declaration is applied once, so what an admin changes
// later stands until the manifest changes; devices the manifest no longer
// names are left alone.
func (s *Service) Sync(ctx context.Context, tenantID uuid.UUID, decls []Declaration) (SyncResult, error) {
	var res SyncResult
	for _, d := range decls {
		var cur *Device
		err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
			var row Device
			err := tx.Where("tenant_id = ? AND name = ?", tenantID, d.Name).Take(&row).Error
			if store.IsNotFound(err) {
				return nil
			}
			cur = &row
			return err
		})
		if err != nil {
			return res, err
		}
		if cur != nil && cur.Declared == d.Key {
			continue
		}
		cfg, _ := json.Marshal(d.Config)
		in := Input{CommunityID: d.CommunityID, Name: d.Name, Class: d.Class, Driver: d.Driver, Place: d.Place, Direction: d.Direction,
			Config: cfg, Secrets: d.Secrets, Token: d.Token, HeartbeatSeconds: d.HeartbeatSeconds, Declared: d.Key}
		if cur == nil {
			_, err = s.Create(ctx, tenantID, in)
			if err == nil {
				res.Changes = append(res.Changes, "device "+d.Name+" created")
			}
		} else {
			_, err = s.Update(ctx, tenantID, cur.ID, in)
			if err == nil {
				res.Changes = append(res.Changes, "device "+d.Name+" updated")
			}
		}
		if err != nil {
			if e, ok := apperr.As(err); ok && e.Kind != apperr.KindInternal {
				res.Notes = append(res.Notes, fmt.Sprintf("device %s: %s %v", d.Name, e.Code, e.Details))
				continue
			}
			return res, err
		}
	}
	return res, nil
}
