package workorder

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/core/store"
)

// Who hears of what: a new order goes to the dispatchers (managers and the
// front desk), progress to the resident who reported it, a chase to the
// technician and the managers, a breach to the managers.

// vars are the variables of the workorder.* notification templates
// (core/notify's catalogue): number, title, location, technician, eta,
// status; times in the tenant's zone.
func vars(o *Order, loc *time.Location) map[string]string {
	v := map[string]string{"id": o.ID.String(), "number": Number(o.ID), "title": title(o), "type": o.Type,
		"category": o.Category, "status": o.Status, "priority": o.Priority, "location": o.LocationName,
		"technician": o.AssigneeName, "assignee": o.AssigneeName, "chase_count": strconv.Itoa(o.ChaseCount)}
	if o.ExpectedArrival != nil {
		v["eta"] = o.ExpectedArrival.In(loc).Format("01-02 15:04")
	}
	return v
}

// Number is an order's short reference for people: the last eight hex
// digits of its id (random in a UUIDv7, unlike the leading time bits).
func Number(id uuid.UUID) string {
	s := strings.ReplaceAll(id.String(), "-", "")
	return "WO-" + strings.ToUpper(s[len(s)-8:])
}

// title is the description's first line, cut to 30 characters.
func title(o *Order) string {
	t, _, _ := strings.Cut(strings.TrimSpace(o.Description), "\n")
	if r := []rune(t); len(r) > 30 {
		t = string(r[:30]) + "…"
	}
	if t == "" {
		t = o.Category
	}
	return t
}

// notify sends one notice about o, de-duplicated on the timeline event that
// caused it, inside tx.
func (s *Service) notify(tx *gorm.DB, o *Order, ev Event, template string, to []uuid.UUID, urgent bool) error {
	if len(to) == 0 {
		return nil
	}
	ctx := store.Ctx(tx)
	return s.d.Notifier.Notify(ctx, o.TenantID, Notice{
		Event: "workorder:" + ev.ID.String() + ":" + template, Template: template, Vars: vars(o, s.d.Zone(ctx, o.TenantID)),
		UserIDs: to, Link: "/work-orders/" + o.ID.String(), Urgent: urgent,
	})
}

func (s *Service) notifyResident(tx *gorm.DB, o *Order, ev Event, template string, urgent bool) error {
	if o.ReporterID == nil {
		return nil
	}
	return s.notify(tx, o, ev, template, []uuid.UUID{*o.ReporterID}, urgent)
}

// notifyRoles sends to every holder of the roles (and extra users), each once.
func (s *Service) notifyRoles(tx *gorm.DB, o *Order, ev Event, template string, urgent bool, extra []uuid.UUID, roles ...string) error {
	seen := map[uuid.UUID]bool{}
	var to []uuid.UUID
	add := func(ids []uuid.UUID) {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				to = append(to, id)
			}
		}
	}
	add(extra)
	for _, r := range roles {
		ids, err := s.holders(store.Ctx(tx), o.TenantID, r)
		if err != nil {
			return err
		}
		add(ids)
	}
	return s.notify(tx, o, ev, template, to, urgent)
}

const (
	roleManager   = rbac.Manager
	roleFrontdesk = rbac.Frontdesk
)
