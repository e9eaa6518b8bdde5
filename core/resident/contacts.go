package resident

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/chunk"
)

// Contacts for notifications: who lives in a room now and how to reach
// them (their app account, else their first phone in full). The numbers
// leave this package only towards a notification channel, never an answer.

// Reach is one person living in a room now and how to reach them.
type Reach struct {
	PersonID uuid.UUID
	UserID   uuid.UUID // uuid.Nil without an app account
	RoomID   uuid.UUID
	Role     string
	Name     string
	Phone    string // first phone, unmasked
}

// RoomContacts lists the people living now in the rooms, owners first.
func (s *Service) RoomContacts(ctx context.Context, tenantID uuid.UUID, roomIDs []uuid.UUID) (out []Reach, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		return chunk.Unique(roomIDs, func(part []uuid.UUID) error {
			c, err := s.contacts(tx, tenantID, "o.room_id IN ?", part)
			out = append(out, c...)
			return err
		})
	})
	return out, err
}

// RoomPayers are whom a room's bills concern: its owners and tenants living
// there now, or everyone living there when it has neither.
func (s *Service) RoomPayers(ctx context.Context, tenantID, roomID uuid.UUID) ([]Reach, error) {
	all, err := s.RoomContacts(ctx, tenantID, []uuid.UUID{roomID})
	if err != nil {
		return nil, err
	}
	payers := slices.DeleteFunc(slices.Clone(all), func(c Reach) bool { return c.Role != RoleOwner && c.Role != RoleTenant })
	if len(payers) == 0 {
		return all, nil
	}
	return payers, nil
}

// TaggedContacts lists the people carrying a care tag who live somewhere now.
func (s *Service) TaggedContacts(ctx context.Context, tenantID uuid.UUID, tag string) (out []Reach, err error) {
	t, _ := normaliseTag(tag)
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = s.contacts(tx, tenantID, "o.person_id IN (SELECT person_id FROM care_tags WHERE tenant_id = o.tenant_id AND tag = ?)", t)
		return err
	})
	return out, err
}

// TagExists tells whether a tag is built in or carried by anyone.
func (s *Service) TagExists(ctx context.Context, tenantID uuid.UUID, tag string) (ok bool, err error) {
	t, _ := normaliseTag(tag)
	if slices.Contains(KnownTags, t) {
		return true, nil
	}
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		var n int64
		err := tx.Model(&tagRow{}).Where("tenant_id = ? AND tag = ?", tenantID, t).Limit(1).Count(&n).Error
		ok = n > 0
		return err
	})
	return ok, err
}

func (s *Service) contacts(tx *gorm.DB, tenantID uuid.UUID, cond string, arg any) ([]Reach, error) {
	var rows []struct {
		PersonID, RoomID uuid.UUID
		UserID           *uuid.UUID
		Role, Name       string
	}
	// unscoped: a join of two tenant tables, scoped by o.tenant_id = ?
	err := tx.Raw(`SELECT o.person_id, o.room_id, p.user_id, o.role, p.name
FROM occupancies o JOIN persons p ON p.tenant_id = o.tenant_id AND p.id = o.person_id
WHERE o.tenant_id = ? AND o.move_out IS NULL AND `+cond+`
ORDER BY CASE o.role WHEN 'owner' THEN 0 WHEN 'tenant' THEN 1 ELSE 2 END, o.move_in, o.id`, tenantID, arg).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.PersonID
	}
	phones := map[uuid.UUID]string{}
	err = chunk.Unique(ids, func(part []uuid.UUID) error {
		var ps []phoneRow
		if err := tx.Where("tenant_id = ? AND person_id IN ? AND position = 0", tenantID, part).Find(&ps).Error; err != nil {
			return err
		}
		for _, p := range ps {
			n, err := s.decrypt(p.PhoneCipher, tenantID, fieldPhone)
			if err != nil {
				return err
			}
			phones[p.PersonID] = n
		}
		return nil
	})
	out := make([]Reach, len(rows))
	for i, r := range rows {
		out[i] = Reach{PersonID: r.PersonID, RoomID: r.RoomID, Role: r.Role, Name: r.Name, Phone: phones[r.PersonID]}
		if r.UserID != nil {
			out[i].UserID = *r.UserID
		}
	}
	return out, err
}
