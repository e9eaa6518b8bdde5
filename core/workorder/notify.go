package workorder

import (
	"strconv"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/core/store"
)

// Who hears of what: a new order goes to the dispatchers (managers and the
// front desk), progress to the resident who reported it, a chase to the
// technician and the managers, a breach to the managers.

func vars(o *Order) map[string]string {
	v := map[string]string{"id": o.ID.String(), "type": o.Type, "category": o.Category, "status": o.Status,
		"priority": o.Priority, "location": o.LocationName, "assignee": o.AssigneeName}
	if o.ExpectedArrival != nil {
		v["expected_arrival"] = o.ExpectedArrival.UTC().Format("2006-01-02T15:04:05Z")
	}
	v["chase_count"] = strconv.Itoa(o.ChaseCount)
	return v
}

// notify sends one notice about o, de-duplicated on the timeline event that
// caused it, inside tx.
func (s *Service) notify(tx *gorm.DB, o *Order, ev Event, template string, to []uuid.UUID, urgent bool) error {
	if len(to) == 0 {
		return nil
	}
	return s.d.Notifier.Notify(store.Ctx(tx), o.TenantID, Notice{
		Event: "workorder:" + ev.ID.String() + ":" + template, Template: template, Vars: vars(o),
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
