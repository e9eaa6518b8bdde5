package fee

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/decimal"
)

// Exception codes.
const (
	ExcNoArea      = "no_area"
	ExcNoOwner     = "no_owner"
	ExcOverlapping = "overlapping_rules"
	ExcNoReading   = "no_reading"
)

var exceptionText = map[string][2]string{
	ExcNoArea:      {"The room has no area for this item; enter the room's area.", "房屋缺少此项目所需的面积,请补录面积。"},
	ExcNoOwner:     {"Nobody owns the room in this period (no owner residence).", "本账期该房屋没有业主(无业主入住记录)。"},
	ExcOverlapping: {"Two versions of this item's rules overlap; fix the rules.", "该收费项目有两个版本的规则期间重叠,请修正规则。"},
	ExcNoReading:   {"A meter reading for this period is missing.", "缺少本账期的抄表读数。"},
}

func exception(code string, itemID uuid.UUID) Exception {
	t := exceptionText[code]
	return Exception{Code: code, ItemID: itemID, Message: t[0], MessageZH: t[1]}
}

// draftLine is a line before rounding: its exact amount.
type draftLine struct {
	Line
	exact exact
}

// quoteRoom prices one room for period p from the book.
func quoteRoom(b *book, d roomData, p civil.Period) RoomQuote {
	q := RoomQuote{RoomID: d.room.ID, CommunityID: d.room.CommunityID, BuildingID: d.room.BuildingID, Period: p, Lines: []Line{}, Exceptions: []Exception{}}
	if !hasOwner(d.res, p.Start(), p.End()) {
		q.Exceptions = append(q.Exceptions, exception(ExcNoOwner, uuid.Nil))
	}
	for _, it := range b.items {
		c := b.cover(it, p)
		if !c.ok {
			continue
		}
		from, to, months := c.from, c.to, c.months
		var lines []draftLine
		var exc *Exception
		switch it.Kind {
		case KindArea, KindFixed:
			lines, exc = timeLines(b, it, b.rules[it.ID], d, from, to)
		case KindMetered:
			lines, exc = meteredLine(b, it, b.rules[it.ID], d, from, to, months)
		case KindShared:
			lines, exc = sharedLine(it, b.shared[it.ID], d.room.ID)
		}
		if exc != nil {
			q.Exceptions = append(q.Exceptions, *exc)
			continue
		}
		q.Lines = append(q.Lines, rounded(it, lines)...)
	}
	return q
}

// rounded applies the item's rounding: per line, or per bill (the item's
// lines together, largest remainders).
func rounded(it Item, lines []draftLine) []Line {
	mode := modes[it.Rounding]
	out := make([]Line, len(lines))
	if it.RoundingScope == "bill" && len(lines) > 1 {
		parts := make([]exact, len(lines))
		for i, l := range lines {
			parts[i] = l.exact
		}
		for i, a := range roundTogether(parts, mode) {
			out[i], out[i].Amount = lines[i].Line, a
		}
		return out
	}
	for i, l := range lines {
		out[i], out[i].Amount = l.Line, l.exact.round(mode)
	}
	return out
}

// baseLine is a line of item it with version r over [from, to].
func baseLine(it Item, r Rule, from, to civil.Date) Line {
	unit := it.Unit
	return Line{ItemID: it.ID, Version: r.Version, Code: it.Code, Name: it.Name, Kind: it.Kind, From: from, To: to,
		Unit: unit, Rate: r.Rate, Currency: it.Currency, DueDays: it.DueDays, Late: it.Late()}
}

// versions is the item's versions cut to [from, to], or overlapping_rules.
func versions(it Item, rules []Rule, from, to civil.Date) ([]Rule, *Exception) {
	var out []Rule
	for _, r := range rules {
		if !r.overlaps(Rule{ValidFrom: from, ValidTo: to}) {
			continue
		}
		for _, o := range out {
			if o.overlaps(r) {
				e := exception(ExcOverlapping, it.ID)
				return nil, &e
			}
		}
		if r.ValidFrom.Before(from) {
			r.ValidFrom = from
		}
		if r.ValidTo.IsZero() || r.ValidTo.After(to) {
			r.ValidTo = to
		}
		out = append(out, r)
	}
	return out, nil
}

// timeLines prices an area or fixed item: one line per version and
// occupancy stretch, prorated by days.
func timeLines(b *book, it Item, rules []Rule, d roomData, from, to civil.Date) ([]draftLine, *Exception) {
	vs, exc := versions(it, rules, from, to)
	if exc != nil {
		return nil, exc
	}
	area := d.room.BuiltArea
	if it.AreaBasis == "interior" {
		area = d.room.InteriorArea
	}
	if it.Kind == KindArea && area <= 0 && len(vs) > 0 {
		e := exception(ExcNoArea, it.ID)
		return nil, &e
	}
	vacancy := b.rate(it.VacancyPercent, 2)
	household := it.Kind == KindFixed && it.Per == "household"
	var out []draftLine
	for _, r := range vs {
		pieces := []piece{{r.ValidFrom, r.ValidTo, true, 1}}
		if vacancy > 0 || household {
			pieces = merge(timeline(d.room, d.res, r.ValidFrom, r.ValidTo), household)
		}
		for _, pc := range pieces {
			keep := int64(100_00)
			if !pc.occupied {
				keep -= vacancy
			}
			if l, ok := timeLine(b, it, r, d.room, area, pc, keep, household); ok {
				out = append(out, l)
			}
		}
	}
	return out, nil
}

// merge joins neighbouring pieces that price the same (households matter
// only to per-household items).
func merge(ps []piece, households bool) []piece {
	var out []piece
	for _, p := range ps {
		if !households {
			p.households = 0
		}
		if n := len(out); n > 0 && out[n-1].occupied == p.occupied && out[n-1].households == p.households {
			out[n-1].to = p.to
			continue
		}
		out = append(out, p)
	}
	return out
}

// timeLine is one line of an area or fixed item over a piece.
func timeLine(b *book, it Item, r Rule, room Room, area int64, pc piece, keep int64, household bool) (draftLine, bool) {
	if keep <= 0 {
		return draftLine{}, false
	}
	f := b.monthsIn(pc.from, pc.to)
	mnum, mden, mtext := f.num, f.den, f.text
	scale, exp := rateScale(it), it.Currency.Exponent()
	rate := b.rate(r.Rate, scale)
	l := draftLine{Line: baseLine(it, r, pc.from, pc.to)}
	var terms []string
	if it.Kind == KindArea {
		l.exact = product([]int64{area, rate, room.Coefficient, mnum, keep}, []int64{100, pow10(scale), 10_000, mden, 100_00}, exp)
		l.Quantity = decimal.Format(area, 2)
		terms = []string{l.Quantity + " m²", r.Rate + "/m²/month", "coefficient " + decimal.Format(room.Coefficient, 4), mtext}
	} else {
		qty := int64(1)
		if household {
			if qty = int64(pc.households); qty == 0 {
				return draftLine{}, false
			}
		}
		l.exact = product([]int64{qty, rate, mnum, keep}, []int64{pow10(scale), mden, 100_00}, exp)
		l.Quantity = fmt.Sprint(qty)
		terms = []string{fmt.Sprintf("%d %s", qty, map[bool]string{true: "household(s)", false: "room"}[household]), r.Rate + "/month", mtext}
	}
	if keep < 100_00 {
		terms = append(terms, decimal.Format(keep, 2)+"% (vacant)")
	}
	l.Detail = strings.Join(terms, " × ")
	return l, true
}

// meteredLine prices a metered item: the rooms' consumption of its meter
// kind over the covered months, on the version in force on the last day.
func meteredLine(b *book, it Item, rules []Rule, d roomData, from, to civil.Date, months []string) ([]draftLine, *Exception) {
	installed, has := d.meters[it.MeterKind]
	if !has || installed.After(to) {
		return nil, nil
	}
	var used int64
	for _, m := range months {
		v, ok := d.use[it.MeterKind][m]
		if !ok {
			mp, _ := civil.ParsePeriod(m)
			if !installed.After(mp.End()) {
				e := exception(ExcNoReading, it.ID)
				return nil, &e
			}
		}
		used += v
	}
	vs, exc := versions(it, rules, from, to)
	if exc != nil || len(vs) == 0 {
		return nil, exc
	}
	// Readings are not split by day: the version in force on the last day
	// prices them, or the latest one of the stretch if it ended before.
	r, ok := ruleOn(rules, to)
	if !ok {
		r = vs[len(vs)-1]
	}
	amount, text := tiered(b.rate, used, ruleTiers(r), rateScale(it), it.Currency.Exponent())
	l := draftLine{Line: baseLine(it, r, from, to), exact: amount}
	l.Quantity, l.Detail = decimal.Format(used, ReadingScale), text
	return []draftLine{l}, nil
}

// sharedLine is a room's part of a shared item.
func sharedLine(it Item, sp *split, roomID uuid.UUID) ([]draftLine, *Exception) {
	if sp == nil {
		return nil, nil
	}
	if sp.missing {
		e := exception(ExcNoReading, it.ID)
		return nil, &e
	}
	part, ok := sp.parts[roomID]
	if !ok {
		return nil, nil
	}
	l := draftLine{Line: baseLine(it, sp.rule, sp.from, sp.to), exact: product([]int64{part}, nil, 0)}
	w := sp.weights[roomID]
	share := fmt.Sprintf("%d/%d rooms", w, sp.sum)
	l.Quantity = fmt.Sprint(w)
	if it.Apportion == "area" {
		share = decimal.Format(w, 2) + "/" + decimal.Format(sp.sum, 2) + " m²"
		l.Quantity = decimal.Format(w, 2)
	}
	l.Detail = fmt.Sprintf("common meter %s = %s → %s %s; share %s (largest remainder)",
		decimal.Format(sp.used, ReadingScale), sp.text, (moneyText(sp.total, it)), it.Currency, share)
	return []draftLine{l}, nil
}

func moneyText(minor int64, it Item) string { return decimal.Format(minor, it.Currency.Exponent()) }
