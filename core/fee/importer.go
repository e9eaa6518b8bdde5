package fee

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/sheet"
)

// ReadingSpec is the column set of the meter readings template and import.
var ReadingSpec = sheet.Spec{Kind: "meter-readings", Title: "抄表读数", Columns: []sheet.Column{
	{Key: "kind", ZH: "表具类型", Required: true, Hint: "water/electricity/gas (水/电/燃气)"},
	{Key: "serial", ZH: "表号", Required: true, Hint: "W-0101,须已登记 / a registered meter"},
	{Key: "period", ZH: "账期", Required: true, Hint: "2026-03"},
	{Key: "read_on", ZH: "抄表日期", Required: true, Hint: "2026-03-31"},
	{Key: "value", ZH: "读数", Required: true, Hint: "1234.5,最多三位小数 / at most three decimals"},
	{Key: "rollover", ZH: "走满归零", Hint: "是/否 (yes/no); 留空 = 否"},
	{Key: "note", ZH: "备注"},
}}

var (
	errImportMeter = apperr.New(apperr.KindInvalid, "unknown_meter", "No active meter of this kind has this serial number.", "没有此类型和表号的在用表具。")
	kindNames      = map[string]string{"水": "water", "电": "electricity", "燃气": "gas", "气": "gas"}
)

type parsedReading struct {
	meter Meter
	p     civil.Period
	value int64
	in    ReadingInput
}

// ReadingImporter imports readings of registered meters; make one per file.
type ReadingImporter struct {
	parsed map[int]parsedReading
}

// NewReadingImporter returns an importer for one file.
func (s *Service) NewReadingImporter() *ReadingImporter { return &ReadingImporter{} }

func (im *ReadingImporter) Spec() sheet.Spec { return ReadingSpec }

// Check parses every row, finds its meter and checks each reading against
// the previous one (in the tenant, then earlier in the file).
func (im *ReadingImporter) Check(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []sheet.Row) ([]sheet.Problem, error) {
	var probs []sheet.Problem
	bad := func(r sheet.Row, col string, err error) {
		e, ok := apperr.As(err)
		if !ok {
			e = apperr.Invalid
		}
		probs = append(probs, sheet.Problemf(r.Line, col, r.Get(col), e))
	}
	meters := map[[2]string]*Meter{}
	last := map[uuid.UUID]*Reading{} // the latest reading per meter, file rows included
	im.parsed = map[int]parsedReading{}
	for _, r := range rows {
		kind := strings.TrimSpace(r.Get("kind"))
		if k, ok := kindNames[kind]; ok {
			kind = k
		}
		key := [2]string{kind, r.Get("serial")}
		m, seen := meters[key]
		if !seen {
			var found Meter
			if err := in(tx, tenantID).Limit(1).Find(&found, "kind = ? AND serial = ? AND status = ?", kind, key[1], MeterActive).Error; err != nil {
				return nil, err
			}
			if found.ID != uuid.Nil {
				m = &found
			}
			meters[key] = m
		}
		if m == nil {
			bad(r, "serial", errImportMeter)
			continue
		}
		ri := ReadingInput{Period: r.Get("period"), Value: r.Get("value"), Note: r.Get("note"), Rollover: yes(r.Get("rollover"))}
		d, err := civil.Parse(r.Get("read_on"))
		if err != nil {
			bad(r, "read_on", err)
			continue
		}
		ri.ReadOn = d
		p, val, err := ri.parse()
		if err != nil {
			bad(r, "value", err)
			continue
		}
		if err := im.follow(tx, tenantID, *m, p, val, ri, last); err != nil {
			bad(r, "value", err)
			continue
		}
		im.parsed[r.Line] = parsedReading{*m, p, val, ri}
	}
	return probs, nil
}

// follow checks a reading against the meter's latest and makes it the latest.
func (im *ReadingImporter) follow(tx *gorm.DB, tenantID uuid.UUID, m Meter, p civil.Period, val int64, ri ReadingInput, last map[uuid.UUID]*Reading) error {
	prev, ok := last[m.ID]
	if !ok {
		var r Reading
		if err := in(tx, tenantID).Where("meter_id = ?", m.ID).Order("period DESC").Limit(1).Find(&r).Error; err != nil {
			return err
		}
		if r.ID != uuid.Nil {
			prev = &r
		}
	}
	from := m.StartReading
	if prev != nil {
		if prev.Period >= p.String() {
			return ErrReadingOrder
		}
		from = prev.Value
	}
	if _, err := consumption(m, from, val, ri.Rollover); err != nil {
		return err
	}
	last[m.ID] = &Reading{Period: p.String(), Value: val}
	return nil
}

func yes(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "是", "yes", "y", "true", "1":
		return true
	}
	return false
}

// Write enters the checked readings in file order.
func (im *ReadingImporter) Write(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []sheet.Row, progress func(int)) error {
	for i, r := range rows {
		pr, ok := im.parsed[r.Line]
		if !ok {
			continue
		}
		if _, err := enterReading(tx, tenantID, pr.meter, pr.p, pr.value, pr.in); err != nil {
			if ae, ok := apperr.As(err); ok {
				return ae.WithDetails(map[string]any{"row": r.Line})
			}
			return fmt.Errorf("reading import row %d: %w", r.Line, err)
		}
		if (i+1)%100 == 0 || i == len(rows)-1 {
			progress(i + 1)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}
