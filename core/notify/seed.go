package notify

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/chunk"
)

// SeedLookup finds the demo's places and people by name (property and
// identity, adapted in core/app).
type SeedLookup interface {
	Community(ctx context.Context, tenantID uuid.UUID, name string) (uuid.UUID, bool, error)
	Building(ctx context.Context, tenantID, communityID uuid.UUID, name string) (uuid.UUID, bool, error)
	User(ctx context.Context, tenantID uuid.UUID, username string) (uuid.UUID, bool, error)
}

// SeedData is the "notify" section of a tenant manifest's seed data.
type SeedData struct {
	Announcements []struct {
		Title     string `yaml:"title"`
		Body      string `yaml:"body"`
		Community string `yaml:"community"`
		Building  string `yaml:"building"` // empty: the whole community
		Tag       string `yaml:"tag"`      // a care tag instead of the places
		Publish   bool   `yaml:"publish"`
		// ReadPercent of the recipients have read it (the first ones by name).
		ReadPercent int `yaml:"read_percent"`
	} `yaml:"announcements"`
	Inbox []struct {
		User     string            `yaml:"user"`
		Template string            `yaml:"template"`
		Vars     map[string]string `yaml:"vars"`
		Link     string            `yaml:"link"`
		Read     bool              `yaml:"read"`
	} `yaml:"inbox"`
	Webhooks []struct {
		URL         string   `yaml:"url"`
		Description string   `yaml:"description"`
		Events      []string `yaml:"events"`
		Enabled     bool     `yaml:"enabled"`
	} `yaml:"webhooks"`
}

// SeedDemo writes the demo's announcements, inbox entries and webhook
// endpoints once: a tenant that has announcements is left alone. Templates
// stay on their defaults. It runs in the seeding transaction (ctx).
func (s *Service) SeedDemo(ctx context.Context, tenantID uuid.UUID, raw any, look SeedLookup) (changed bool, err error) {
	var data SeedData
	b, err := yaml.Marshal(raw)
	if err == nil {
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		err = dec.Decode(&data)
	}
	if err != nil {
		return false, fmt.Errorf("notify seed: %w", err)
	}
	var n int64
	if err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Model(&Announcement{}).Where("tenant_id = ?", tenantID).Count(&n).Error
	}); err != nil || n > 0 {
		return false, err
	}
	for _, a := range data.Announcements {
		in := AnnouncementInput{Title: a.Title, Body: a.Body, Audience: AudienceCommunity, Tag: a.Tag}
		if a.Community != "" {
			id, ok, err := look.Community(ctx, tenantID, a.Community)
			if err != nil || !ok {
				return false, fmt.Errorf("notify seed: community %q: %v", a.Community, err)
			}
			in.CommunityID = &id
			if a.Building != "" {
				bid, ok, err := look.Building(ctx, tenantID, id, a.Building)
				if err != nil || !ok {
					return false, fmt.Errorf("notify seed: building %q: %v", a.Building, err)
				}
				in.Audience, in.BuildingID = AudienceBuilding, &bid
			}
		}
		if a.Tag != "" {
			in.Audience = AudienceTag
		}
		created, err := s.CreateAnnouncement(ctx, tenantID, "admin", in)
		if err != nil {
			return false, fmt.Errorf("notify seed: %q: %w", a.Title, err)
		}
		if !a.Publish {
			continue
		}
		if _, err := s.PublishAnnouncement(ctx, tenantID, created.ID); err != nil {
			return false, fmt.Errorf("notify seed: publish %q: %w", a.Title, err)
		}
		if a.ReadPercent > 0 {
			if err := s.seedReads(ctx, tenantID, created.ID, a.ReadPercent); err != nil {
				return false, err
			}
		}
	}
	for i, m := range data.Inbox {
		uid, ok, err := look.User(ctx, tenantID, m.User)
		if err != nil || !ok {
			return false, fmt.Errorf("notify seed: user %q: %v", m.User, err)
		}
		ev := fmt.Sprintf("demo:%d", i)
		if err := s.Send(ctx, tenantID, Message{Event: ev, Template: m.Template, Vars: m.Vars, Link: m.Link, To: []Recipient{{UserID: uid}}}); err != nil {
			return false, fmt.Errorf("notify seed: inbox %d: %w", i, err)
		}
		if m.Read {
			err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
				return tx.Model(&Item{}).Where("tenant_id = ? AND event = ?", tenantID, ev).Update("read_at", s.now().UTC()).Error
			})
			if err != nil {
				return false, err
			}
		}
	}
	for _, w := range data.Webhooks {
		en := w.Enabled
		if _, err := s.CreateEndpoint(ctx, tenantID, EndpointInput{URL: w.URL, Description: w.Description, Events: w.Events, Enabled: &en}); err != nil {
			return false, fmt.Errorf("notify seed: webhook %q: %w", w.URL, err)
		}
	}
	return true, nil
}

// seedReads marks the first pct percent of an announcement's recipients
// (by name) read over the days after publishing, with one statement.
func (s *Service) seedReads(ctx context.Context, tenantID, id uuid.UUID, pct int) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var ids []uuid.UUID
		if err := tx.Model(&recipientRow{}).Where("tenant_id = ? AND announcement_id = ?", tenantID, id).Order("name, id").Pluck("id", &ids).Error; err != nil {
			return err
		}
		k := len(ids) * min(pct, 100) / 100
		if k == 0 {
			return nil
		}
		at := s.now().UTC().Add(-time.Hour)
		return chunk.Each(ids[:k], func(part []uuid.UUID) error {
			return tx.Model(&recipientRow{}).Where("tenant_id = ? AND id IN ?", tenantID, part).Update("read_at", at).Error
		})
	})
}
