package tenant

import (
	"context"
	"strings"
	"time"
	_ "time/tzdata" // the binary stands alone: zones resolve on hosts without /usr/share/zoneinfo

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
)

// DefaultTimeZone is a tenant's zone until the operator sets another.
const DefaultTimeZone = "Asia/Shanghai"

var defaultLocation = mustLoad(DefaultTimeZone)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// checkTimeZone accepts an IANA zone name ("Asia/Shanghai"); empty means the
// default. "Local" is refused: it would be the server's zone, which is what
// a tenant setting exists to avoid.
func checkTimeZone(field, name string) []apperr.FieldError {
	if name == "" {
		return nil
	}
	if _, err := time.LoadLocation(name); err != nil || name == "Local" || strings.TrimSpace(name) != name {
		return []apperr.FieldError{{Field: field, Code: "invalid_time_zone",
			EN: "time_zone must be an IANA time zone name such as Asia/Shanghai",
			ZH: "time_zone 须为 IANA 时区名称,例如 Asia/Shanghai"}}
	}
	return nil
}

// TimeZone is the tenant's zone name (DefaultTimeZone when unset).
func (t Tenant) TimeZone() string {
	if t.Settings.TimeZone == "" {
		return DefaultTimeZone
	}
	return t.Settings.TimeZone
}

type zoneEntry struct {
	loc   *time.Location
	until time.Time
}

// Location is the tenant's time zone: "today", a month's bounds and due
// dates are the tenant's, not the server's. Answers are cached like
// CheckActive's (GateTTL; a change through this Service drops the entry).
// An unknown tenant or a failed read answers the default zone, so a date
// view never fails for want of a zone.
func (s *Service) Location(ctx context.Context, tenantID uuid.UUID) *time.Location {
	now := time.Now()
	if v, ok := s.zones.Load(tenantID); ok {
		if e := v.(*zoneEntry); now.Before(e.until) {
			return e.loc
		}
	}
	var t Tenant
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Select("id", "settings").Where("id = ?", tenantID).Take(&t).Error
	})
	if err != nil {
		return defaultLocation // not cached: the next call tries again
	}
	loc, lerr := time.LoadLocation(t.TimeZone())
	if lerr != nil {
		loc = defaultLocation
	}
	s.zones.Store(tenantID, &zoneEntry{loc: loc, until: now.Add(s.opt.GateTTL)})
	return loc
}

// SetTimeZone sets the tenant's zone (an IANA name; empty restores the default).
func (s *Service) SetTimeZone(ctx context.Context, id uuid.UUID, name string) (Tenant, error) {
	if fe := checkTimeZone("time_zone", name); len(fe) > 0 {
		return Tenant{}, apperr.Invalid.WithDetails(fe)
	}
	return s.change(ctx, id, "tenant.set_time_zone", "time zone "+name, func(tx *gorm.DB, t *Tenant) (bool, error) {
		if t.Settings.TimeZone == name {
			return false, nil
		}
		t.Settings.TimeZone = name
		return true, nil
	})
}
