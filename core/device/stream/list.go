package stream

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// EventFilter narrows the log (zero values: any).
type EventFilter struct {
	DeviceID uuid.UUID
	Type     string    // exact, or a prefix ending in ".*" ("elevator.*")
	From, To time.Time // received at; From inclusive, To exclusive
}

// EventItem is one logged device event as staff read it.
type EventItem struct {
	ID         uuid.UUID       `json:"id"`
	DeviceID   uuid.UUID       `json:"device_id"`
	Type       string          `json:"type"`
	OccurredAt time.Time       `json:"occurred_at"`
	ReceivedAt time.Time       `json:"received_at"`
	Data       json.RawMessage `json:"data" swaggertype:"object"` // the canonical payload
	Picture    *uuid.UUID      `json:"picture"`                   // attachment id of the photo, if any
}

// List reads the tenant's device events, newest first.
func (s *Stream) List(ctx context.Context, tenantID uuid.UUID, f EventFilter, offset, limit int) (out []EventItem, total int64, err error) {
	err = s.db.InTenant(store.ReadMostly(ctx), tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&logRow{}).Where("tenant_id = ?", tenantID)
		if f.DeviceID != uuid.Nil {
			q = q.Where("device_id = ?", f.DeviceID)
		}
		if p, ok := cutWildcard(f.Type); ok {
			q = q.Where("type LIKE ?", p+".%")
		} else if f.Type != "" {
			q = q.Where("type = ?", f.Type)
		}
		if !f.From.IsZero() {
			q = q.Where("received_at >= ?", f.From)
		}
		if !f.To.IsZero() {
			q = q.Where("received_at < ?", f.To)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		var rows []logRow
		if err := q.Order("seq DESC").Offset(offset).Limit(limit).Find(&rows).Error; err != nil {
			return err
		}
		out = make([]EventItem, len(rows))
		for i, r := range rows {
			out[i] = EventItem{ID: r.ID, DeviceID: r.DeviceID, Type: r.Type, OccurredAt: r.OccurredAt,
				ReceivedAt: r.ReceivedAt, Data: json.RawMessage(r.Payload), Picture: r.PictureID}
		}
		return nil
	})
	return out, total, err
}

// cutWildcard reads "elevator.*" as the prefix "elevator".
func cutWildcard(t string) (string, bool) {
	if len(t) > 2 && t[len(t)-2:] == ".*" {
		return t[:len(t)-2], true
	}
	return "", false
}
