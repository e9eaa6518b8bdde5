package device

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// Ref is what the event pipeline needs of a device.
type Ref struct {
	ID, TenantID, CommunityID, BuildingID uuid.UUID
	Name, Class, Driver, Place, Direction string
}

// refTTL bounds how stale a cached Ref (and token hash) may be on another
// node; this node's own changes drop it at once.
const refTTL = 2 * time.Second

type refEntry struct {
	ref   Ref
	hash  string
	until time.Time
}

// refCache keeps Refs for the ingress path, which looks one up per request.
type refCache struct {
	mu sync.Mutex
	m  map[devKey]refEntry
}

func (c *refCache) get(k devKey, now time.Time) (refEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.until) {
		return refEntry{}, false
	}
	return e, true
}

func (c *refCache) put(k devKey, e refEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 100000 { // bounded: a flood of ids must not grow it for ever
		clear(c.m)
	}
	c.m[k] = e
}

func (c *refCache) forget(tenantID, id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, devKey{tenantID, id})
}

func refOf(d Device) Ref {
	r := Ref{ID: d.ID, TenantID: d.TenantID, CommunityID: d.CommunityID, Name: d.Name, Class: d.Class, Driver: d.Driver, Place: d.Place, Direction: d.Direction}
	if d.BuildingID != nil {
		r.BuildingID = *d.BuildingID
	}
	return r
}

func (s *Service) entry(ctx context.Context, tenantID, id uuid.UUID) (refEntry, error) {
	k := devKey{tenantID, id}
	now := time.Now()
	if e, ok := s.refs.get(k, now); ok {
		return e, nil
	}
	var d Device
	err := s.db.InTenant(store.ReadMostly(ctx), tenantID, func(tx *gorm.DB) (err error) {
		d, err = get(tx, tenantID, id)
		return err
	})
	if err != nil {
		return refEntry{}, err
	}
	e := refEntry{ref: refOf(d), hash: d.TokenHash, until: now.Add(refTTL)}
	s.refs.put(k, e)
	return e, nil
}

// Ref returns a device's identity and location (NotFound when the tenant
// has no such device). Answers may be up to 2 s old.
func (s *Service) Ref(ctx context.Context, tenantID, id uuid.UUID) (Ref, error) {
	e, err := s.entry(ctx, tenantID, id)
	return e.ref, err
}

// CheckToken returns the device when token is its ingress token, NotFound
// for an unknown device, ErrBadToken (401) for a wrong token.
func (s *Service) CheckToken(ctx context.Context, tenantID, id uuid.UUID, token string) (Ref, error) {
	e, err := s.entry(ctx, tenantID, id)
	if err != nil {
		return Ref{}, err
	}
	if !tokenMatches(e.hash, token) {
		return Ref{}, ErrBadToken
	}
	return e.ref, nil
}
