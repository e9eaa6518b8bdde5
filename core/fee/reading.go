package fee

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/decimal"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Reading is a meter's reading at the end of a period, with the
// consumption since the previous one (or the meter's start reading),
// computed once when entered.
type Reading struct {
	TenantID    uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID  `gorm:"primaryKey" json:"id"`
	MeterID     uuid.UUID  `json:"meter_id"`
	RoomID      *uuid.UUID `json:"room_id"`
	Period      string     `json:"period"`
	ReadOn      civil.Date `json:"read_on"`
	Value       int64      `json:"-"`
	Consumption int64      `json:"-"`
	Note        string     `json:"note"`
	CreatedAt   time.Time  `json:"created_at"`
}

func (Reading) TableName() string { return "meter_readings" }

// ReadingView shows the reading and consumption as decimal text.
type ReadingView struct {
	Reading
	ValueText       string `json:"value"`
	ConsumptionText string `json:"consumption"`
}

func readingView(r Reading) ReadingView {
	return ReadingView{Reading: r, ValueText: decimal.Format(r.Value, ReadingScale), ConsumptionText: decimal.Format(r.Consumption, ReadingScale)}
}

// ReadingInput is a reading of a meter. Rollover says the counter wrapped
// past its digits since the previous reading.
type ReadingInput struct {
	Period   string     `json:"period"` // YYYY-MM
	ReadOn   civil.Date `json:"read_on"`
	Value    string     `json:"value"`
	Rollover bool       `json:"rollover"`
	Note     string     `json:"note"`
}

func (in ReadingInput) parse() (civil.Period, int64, error) {
	p, err := civil.ParsePeriod(in.Period)
	if err != nil {
		return p, 0, err
	}
	if in.ReadOn.IsZero() {
		return p, 0, apperr.Invalid.WithDetails([]apperr.FieldError{fieldErr("read_on", "required", "read_on is required (YYYY-MM-DD)", "抄表日期不能为空(YYYY-MM-DD)")})
	}
	v, err := parseRate("value", in.Value, ReadingScale)
	return p, v, err
}

// consumption is the use between prev and v on meter m.
func consumption(m Meter, prev, v int64, rollover bool) (int64, error) {
	switch {
	case v >= m.wrap():
		return 0, ErrRollover
	case rollover && v >= prev:
		return 0, ErrRollover
	case rollover:
		return m.wrap() - prev + v, nil
	case v < prev:
		return 0, ErrReadingLower
	}
	return v - prev, nil
}

// EnterReading records a meter's reading for a period; periods go forward.
func (s *Service) EnterReading(ctx context.Context, tenantID, meterID uuid.UUID, inp ReadingInput) (v ReadingView, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var m Meter
		if err := store.NotFound(in(forUpdate(tx), tenantID).First(&m, "id = ?", meterID).Error); err != nil {
			return err
		}
		p, val, err := inp.parse()
		if err != nil {
			return err
		}
		r, err := enterReading(tx, tenantID, m, p, val, inp)
		v = readingView(r)
		return err
	})
	return v, err
}

func enterReading(tx *gorm.DB, tenantID uuid.UUID, m Meter, p civil.Period, val int64, inp ReadingInput) (Reading, error) {
	if m.Status != MeterActive {
		return Reading{}, ErrMeterReplaced
	}
	var last Reading
	if err := in(tx, tenantID).Where("meter_id = ?", m.ID).Order("period DESC").Limit(1).Find(&last).Error; err != nil {
		return Reading{}, err
	}
	prev := m.StartReading
	if last.ID != uuid.Nil {
		if last.Period >= p.String() {
			return Reading{}, ErrReadingOrder
		}
		prev = last.Value
	}
	used, err := consumption(m, prev, val, inp.Rollover)
	if err != nil {
		return Reading{}, err
	}
	r := Reading{TenantID: tenantID, MeterID: m.ID, RoomID: m.RoomID, Period: p.String(), ReadOn: inp.ReadOn, Value: val, Consumption: used, Note: inp.Note}
	err = unique(tx.Create(&r).Error, ErrReadingOrder)
	return r, err
}

// ReplaceInput replaces a meter: the old one's final reading and the new
// one's serial and starting reading.
type ReplaceInput struct {
	Period       string     `json:"period"`
	ReadOn       civil.Date `json:"read_on"`
	FinalReading string     `json:"final_reading"`
	NewSerial    string     `json:"new_serial"`
	NewDigits    int        `json:"new_digits"`
	NewStart     string     `json:"new_start_reading"`
}

// ReplaceMeter closes a meter with its final reading and registers its
// successor; the period's consumption is the old meter's last part plus
// whatever the new one reads for the same period.
func (s *Service) ReplaceMeter(ctx context.Context, tenantID, meterID uuid.UUID, inp ReplaceInput) (v MeterView, err error) {
	final := ReadingInput{Period: inp.Period, ReadOn: inp.ReadOn, Value: inp.FinalReading, Note: "final reading (replaced)"}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var old Meter
		if err := store.NotFound(in(forUpdate(tx), tenantID).First(&old, "id = ?", meterID).Error); err != nil {
			return err
		}
		p, val, err := final.parse()
		if err != nil {
			return err
		}
		if _, err := enterReading(tx, tenantID, old, p, val, final); err != nil {
			return err
		}
		ni := MeterInput{RoomID: old.RoomID, CommunityID: old.CommunityID, BuildingID: old.BuildingID, Kind: old.Kind,
			Serial: inp.NewSerial, Digits: inp.NewDigits, StartReading: inp.NewStart, InstalledOn: inp.ReadOn}
		start, err := ni.check()
		if err != nil {
			return err
		}
		nm, err := s.createMeter(tx, tenantID, ni, start)
		if err != nil {
			return err
		}
		old.Status, old.ReplacedBy = MeterReplaced, &nm.ID
		v = meterView(nm)
		return tx.Save(&old).Error
	})
	return v, err
}

// ReadingFilter filters the reading list.
type ReadingFilter struct {
	MeterID string `form:"meter_id" json:"meter_id"`
	RoomID  string `form:"room_id" json:"room_id"`
	Period  string `form:"period" json:"period"`
}

// ListReadings lists a page of readings, newest period first.
func (s *Service) ListReadings(ctx context.Context, tenantID uuid.UUID, f ReadingFilter, p paging.Paging) (out []ReadingView, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := in(tx.Model(&Reading{}), tenantID)
		for col, v := range map[string]string{"meter_id": f.MeterID, "room_id": f.RoomID} {
			if v != "" {
				q = q.Where(col+" = ?", parseID(v))
			}
		}
		if f.Period != "" {
			q = q.Where("period = ?", f.Period)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "period DESC"
		}
		var rows []Reading
		err := p.Apply(q).Find(&rows).Error
		out = make([]ReadingView, len(rows))
		for i, r := range rows {
			out[i] = readingView(r)
		}
		return err
	})
	return out, total, err
}
