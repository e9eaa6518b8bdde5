package workorder

import (
	"context"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
)

// StatsFilter selects the orders the statistics are about: created in the
// day range (tenant's zone; default the last 90 days) and in a community.
type StatsFilter struct {
	From        string `form:"from" json:"from"`
	To          string `form:"to" json:"to"`
	CommunityID string `form:"community_id" json:"community_id"`
}

// Count is one group of a breakdown.
type Count struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// Durations are percentiles of a time in minutes over N orders.
type Durations struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_minutes"`
	P90 float64 `json:"p90_minutes"`
}

// Satisfaction is the average rating of a group.
type Satisfaction struct {
	Key     string  `json:"key"`
	Name    string  `json:"name,omitempty"`
	Rated   int64   `json:"rated"`
	Average float64 `json:"average"`
}

// Repeat is a room where the same category was repaired again within 30 days.
type Repeat struct {
	RoomID       uuid.UUID `json:"room_id"`
	LocationName string    `json:"location_name"`
	Category     string    `json:"category"`
	Orders       int       `json:"orders"`  // orders of the chain
	Repeats      int       `json:"repeats"` // of them within 30 days of the one before
}

// Stats are the service desk's figures.
type Stats struct {
	From           civil.Date     `json:"from"`
	To             civil.Date     `json:"to"`
	Total          int64          `json:"total"`
	ByType         []Count        `json:"by_type"`
	ByCategory     []Count        `json:"by_category"`
	ByCommunity    []Count        `json:"by_community"`
	ByStatus       []Count        `json:"by_status"`
	Response       Durations      `json:"response"`   // submitted → accepted
	Resolution     Durations      `json:"resolution"` // submitted → resolved
	SLABreached    int64          `json:"sla_breached"`
	SLABreachRate  float64        `json:"sla_breach_rate"`
	SatisfactionBy []Satisfaction `json:"satisfaction_by_category"`
	TechnicianSat  []Satisfaction `json:"satisfaction_by_technician"`
	RepeatRepairs  []Repeat       `json:"repeat_repairs"`
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return math.Round(sorted[max(i, 0)]*10) / 10
}

func durations(v []float64) Durations {
	sort.Float64s(v)
	return Durations{N: len(v), P50: percentile(v, 50), P90: percentile(v, 90)}
}

// Statistics computes the figures over the orders f selects.
func (s *Service) Statistics(ctx context.Context, tenantID uuid.UUID, f StatsFilter) (st Stats, err error) {
	loc := s.d.Zone(ctx, tenantID)
	today := civil.On(s.now(), loc)
	if f.To == "" {
		f.To = today.String()
	}
	if f.From == "" {
		f.From = today.AddDays(-89).String()
	}
	from, to, err := dayRange(f.From, f.To, loc)
	if err != nil {
		return st, err
	}
	st.From, st.To = civil.On(from, loc), civil.On(to, loc).AddDays(-1)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		base := func() (*gorm.DB, error) {
			q := tx.Model(&Order{}).Where("tenant_id = ? AND created_at >= ? AND created_at < ?", tenantID, from.UTC(), to.UTC())
			if f.CommunityID != "" {
				id, err := parseID("community_id", f.CommunityID)
				if err != nil {
					return nil, err
				}
				q = q.Where("community_id = ?", id)
			}
			return q, nil
		}
		group := func(col string) ([]Count, error) {
			q, err := base()
			if err != nil {
				return nil, err
			}
			out := []Count{}
			err = q.Select(col + " AS key, count(*) AS count").Group(col).Order("count DESC, key").Scan(&out).Error
			return out, err
		}
		var err error
		if st.ByType, err = group("type"); err != nil {
			return err
		}
		if st.ByCategory, err = group("category"); err != nil {
			return err
		}
		if st.ByCommunity, err = group("community_id"); err != nil {
			return err
		}
		if st.ByStatus, err = group("status"); err != nil {
			return err
		}
		for _, c := range st.ByType {
			st.Total += c.Count
		}
		q, _ := base()
		var rows []struct {
			Category     string
			Type         string
			RoomID       *uuid.UUID
			LocationName string
			AssigneeID   *uuid.UUID
			AssigneeName string
			SLABreached  bool `gorm:"column:sla_breached"`
			Rating       *int
			CreatedAt    time.Time
			AcceptedAt   *time.Time
			ResolvedAt   *time.Time
		}
		if err := q.Select("category, type, room_id, location_name, assignee_id, assignee_name, sla_breached, rating, created_at, accepted_at, resolved_at").
			Order("created_at").Scan(&rows).Error; err != nil {
			return err
		}
		var resp, resol []float64
		type agg struct {
			name     string
			n, total int64
		}
		byCat, byTech := map[string]*agg{}, map[string]*agg{}
		add := func(m map[string]*agg, k, name string, r int) {
			a := m[k]
			if a == nil {
				a = &agg{name: name}
				m[k] = a
			}
			a.n++
			a.total += int64(r)
		}
		type chainKey struct {
			room uuid.UUID
			cat  string
		}
		last := map[chainKey]time.Time{}
		chains := map[chainKey]*Repeat{}
		for _, r := range rows {
			if r.SLABreached {
				st.SLABreached++
			}
			if r.AcceptedAt != nil {
				resp = append(resp, r.AcceptedAt.Sub(r.CreatedAt).Minutes())
			}
			if r.ResolvedAt != nil {
				resol = append(resol, r.ResolvedAt.Sub(r.CreatedAt).Minutes())
			}
			if r.Rating != nil {
				add(byCat, r.Category, "", *r.Rating)
				if r.AssigneeID != nil {
					add(byTech, r.AssigneeID.String(), r.AssigneeName, *r.Rating)
				}
			}
			if r.Type == TypeRepair && r.RoomID != nil {
				k := chainKey{*r.RoomID, r.Category}
				c := chains[k]
				if c == nil {
					c = &Repeat{RoomID: *r.RoomID, LocationName: r.LocationName, Category: r.Category}
					chains[k] = c
				}
				c.Orders++
				if t, ok := last[k]; ok && r.CreatedAt.Sub(t) <= 30*24*time.Hour {
					c.Repeats++
				}
				last[k] = r.CreatedAt
			}
		}
		st.Response, st.Resolution = durations(resp), durations(resol)
		if st.Total > 0 {
			st.SLABreachRate = math.Round(float64(st.SLABreached)/float64(st.Total)*10000) / 10000
		}
		sat := func(m map[string]*agg) []Satisfaction {
			out := []Satisfaction{}
			for k, a := range m {
				out = append(out, Satisfaction{Key: k, Name: a.name, Rated: a.n, Average: math.Round(float64(a.total)/float64(a.n)*100) / 100})
			}
			slices.SortFunc(out, func(a, b Satisfaction) int {
				if a.Key < b.Key {
					return -1
				}
				return 1
			})
			return out
		}
		st.SatisfactionBy, st.TechnicianSat = sat(byCat), sat(byTech)
		st.RepeatRepairs = []Repeat{}
		for _, c := range chains {
			if c.Repeats > 0 {
				st.RepeatRepairs = append(st.RepeatRepairs, *c)
			}
		}
		slices.SortFunc(st.RepeatRepairs, func(a, b Repeat) int {
			if a.Repeats != b.Repeats {
				return b.Repeats - a.Repeats
			}
			if a.LocationName+a.Category < b.LocationName+b.Category {
				return -1
			}
			return 1
		})
		return nil
	})
	return st, err
}
