package fee

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/decimal"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Meter statuses.
const (
	MeterActive   = "active"
	MeterReplaced = "replaced"
)

// Meter is a water, electricity or gas meter of a room, or a common meter
// (no room) of a building or a whole community whose consumption shared
// items apportion. Readings are int64 thousandths (ReadingScale).
type Meter struct {
	TenantID     uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID           uuid.UUID  `gorm:"primaryKey" json:"id"`
	CommunityID  uuid.UUID  `json:"community_id"`
	BuildingID   *uuid.UUID `json:"building_id"`
	RoomID       *uuid.UUID `json:"room_id"`
	Kind         string     `json:"kind"`
	Serial       string     `json:"serial"`
	Digits       int        `json:"digits"` // the counter wraps to 0 after 10^digits − 1
	StartReading int64      `json:"-"`
	InstalledOn  civil.Date `json:"installed_on"`
	Status       string     `json:"status"`
	ReplacedBy   *uuid.UUID `json:"replaced_by"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// MeterView adds the start reading as decimal text.
type MeterView struct {
	Meter
	Start string `json:"start_reading"`
}

func meterView(m Meter) MeterView {
	return MeterView{Meter: m, Start: decimal.Format(m.StartReading, ReadingScale)}
}

// wrap is the counter's range in reading units.
func (m Meter) wrap() int64 {
	n := int64(1)
	for range m.Digits {
		n *= 10
	}
	return n * 1000
}

// MeterInput registers a meter: a room's (RoomID) or a common one
// (CommunityID, optionally BuildingID).
type MeterInput struct {
	RoomID       *uuid.UUID `json:"room_id,omitempty"`
	CommunityID  uuid.UUID  `json:"community_id"`
	BuildingID   *uuid.UUID `json:"building_id,omitempty"`
	Kind         string     `json:"kind"`
	Serial       string     `json:"serial"`
	Digits       int        `json:"digits"` // 6 when 0
	StartReading string     `json:"start_reading"`
	InstalledOn  civil.Date `json:"installed_on"`
}

func (in *MeterInput) check() (start int64, err error) {
	var fe []apperr.FieldError
	in.Serial = strings.TrimSpace(in.Serial)
	if in.Serial == "" || len(in.Serial) > 64 {
		fe = append(fe, fieldErr("serial", "required", "serial is required (at most 64 bytes)", "表号不能为空(最多 64 字节)"))
	}
	if !slices.Contains(MeterKinds, in.Kind) {
		fe = append(fe, fieldErr("kind", "invalid_kind", "kind must be water, electricity or gas", "表具类型必须是 water、electricity 或 gas 之一"))
	}
	if in.Digits == 0 {
		in.Digits = 6
	}
	if in.Digits < 3 || in.Digits > 12 {
		fe = append(fe, fieldErr("digits", "out_of_range", "digits must be 3 to 12", "表具位数必须在 3 到 12 之间"))
	}
	if in.InstalledOn.IsZero() {
		fe = append(fe, fieldErr("installed_on", "required", "installed_on is required (YYYY-MM-DD)", "安装日期不能为空(YYYY-MM-DD)"))
	}
	if in.RoomID == nil && in.CommunityID == uuid.Nil {
		fe = append(fe, fieldErr("community_id", "required", "a meter belongs to a room (room_id) or a community (community_id)", "表具须属于房屋(room_id)或小区(community_id)"))
	}
	if len(fe) > 0 {
		return 0, apperr.Invalid.WithDetails(fe)
	}
	if strings.TrimSpace(in.StartReading) == "" {
		in.StartReading = "0"
	}
	start, err = parseRate("start_reading", in.StartReading, ReadingScale)
	if err == nil && start >= (Meter{Digits: in.Digits}).wrap() {
		err = ErrRollover
	}
	return start, err
}

// place fills the meter's community and building from its room.
func (s *Service) place(tx *gorm.DB, tenantID uuid.UUID, m *Meter, in MeterInput) error {
	if in.RoomID != nil {
		r, ok, err := s.rooms.FeeRoom(store.Ctx(tx), tenantID, *in.RoomID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrUnknownRoom
		}
		b := r.BuildingID
		m.RoomID, m.CommunityID, m.BuildingID = in.RoomID, r.CommunityID, &b
		return nil
	}
	ok, err := s.rooms.CommunityExists(store.Ctx(tx), tenantID, in.CommunityID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrUnknownCommunity
	}
	m.CommunityID, m.BuildingID = in.CommunityID, in.BuildingID
	return nil
}

// CreateMeter registers a meter.
func (s *Service) CreateMeter(ctx context.Context, tenantID uuid.UUID, inp MeterInput) (v MeterView, err error) {
	start, err := inp.check()
	if err != nil {
		return v, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		m, err := s.createMeter(tx, tenantID, inp, start)
		v = meterView(m)
		return err
	})
	return v, err
}

func (s *Service) createMeter(tx *gorm.DB, tenantID uuid.UUID, inp MeterInput, start int64) (Meter, error) {
	m := Meter{TenantID: tenantID, Kind: inp.Kind, Serial: inp.Serial, Digits: inp.Digits, StartReading: start, InstalledOn: inp.InstalledOn, Status: MeterActive}
	if err := s.place(tx, tenantID, &m, inp); err != nil {
		return m, err
	}
	err := unique(tx.Create(&m).Error, ErrDuplicateMeter)
	return m, err
}

// GetMeter reads a meter.
func (s *Service) GetMeter(ctx context.Context, tenantID, id uuid.UUID) (v MeterView, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var m Meter
		err := store.NotFound(in(tx, tenantID).First(&m, "id = ?", id).Error)
		v = meterView(m)
		return err
	})
	return v, err
}

// MeterPatch changes a meter's serial (a mistyped one) or digits.
type MeterPatch struct {
	Serial string `json:"serial"`
	Digits int    `json:"digits"`
}

// UpdateMeter corrects a meter's serial number and counter digits; the
// meter is looked up first, so another tenant's id answers 404 whatever the body.
func (s *Service) UpdateMeter(ctx context.Context, tenantID, id uuid.UUID, p MeterPatch) (v MeterView, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var m Meter
		if err := store.NotFound(in(forUpdate(tx), tenantID).First(&m, "id = ?", id).Error); err != nil {
			return err
		}
		in := MeterInput{RoomID: m.RoomID, CommunityID: m.CommunityID, Kind: m.Kind, Serial: p.Serial, Digits: p.Digits,
			StartReading: decimal.Format(m.StartReading, ReadingScale), InstalledOn: m.InstalledOn}
		if _, err := in.check(); err != nil {
			return err
		}
		var last Reading
		if err := in_(tx, tenantID).Where("meter_id = ?", id).Order("value DESC").Limit(1).Find(&last).Error; err != nil {
			return err
		}
		if last.Value >= (Meter{Digits: in.Digits}).wrap() {
			return ErrRollover // readings already taken do not fit fewer digits
		}
		m.Serial, m.Digits = in.Serial, in.Digits
		v = meterView(m)
		return unique(tx.Save(&m).Error, ErrDuplicateMeter)
	})
	return v, err
}

// ErrMeterHasReadings refuses deleting a meter with readings.
var ErrMeterHasReadings = apperr.New(apperr.KindConflict, "meter_has_readings", "The meter has readings; they are kept for the bills made from them.", "该表具已有读数,为保留计费依据不能删除。")

// DeleteMeter removes a meter without readings.
func (s *Service) DeleteMeter(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var m Meter
		if err := store.NotFound(in(tx, tenantID).First(&m, "id = ?", id).Error); err != nil {
			return err
		}
		var n int64
		if err := in(tx.Model(&Reading{}), tenantID).Where("meter_id = ?", id).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrMeterHasReadings
		}
		return in(tx, tenantID).Delete(&Meter{}, "id = ?", id).Error
	})
}

// MeterFilter filters the meter list.
type MeterFilter struct {
	CommunityID string `form:"community_id" json:"community_id"`
	RoomID      string `form:"room_id" json:"room_id"`
	Kind        string `form:"kind" json:"kind"`
	Status      string `form:"status" json:"status"`
}

// ListMeters lists a page of meters.
func (s *Service) ListMeters(ctx context.Context, tenantID uuid.UUID, f MeterFilter, p paging.Paging) (out []MeterView, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := in(tx.Model(&Meter{}), tenantID)
		for col, v := range map[string]string{"community_id": f.CommunityID, "room_id": f.RoomID} {
			if v != "" {
				q = q.Where(col+" = ?", parseID(v))
			}
		}
		for col, v := range map[string]string{"kind": f.Kind, "status": f.Status} {
			if v != "" {
				q = q.Where(col+" = ?", v)
			}
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		var rows []Meter
		err := p.Apply(q).Find(&rows).Error
		out = make([]MeterView, len(rows))
		for i, m := range rows {
			out[i] = meterView(m)
		}
		return err
	})
	return out, total, err
}
