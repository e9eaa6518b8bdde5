package fee

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/store"
)

// book is what a quote run reads once per community: its priced items with
// their rule versions, and the shared items' apportionment.
type book struct {
	items  []Item
	rules  map[uuid.UUID][]Rule
	shared map[uuid.UUID]*split
	fracs  map[[2]civil.Date]frac // monthsIn of a stretch, computed once
	covers map[uuid.UUID]coverage // each item's stretch for the run's period
	rates  map[string]int64       // parsed rates and percents by text and scale
}

// coverage is what cover answers for an item.
type coverage struct {
	from, to civil.Date
	months   []string
	ok       bool
}

// cover is cover, once per item (a book prices one period).
func (b *book) cover(it Item, p civil.Period) coverage {
	if c, ok := b.covers[it.ID]; ok {
		return c
	}
	var c coverage
	c.from, c.to, c.months, c.ok = cover(it, p)
	if b.covers == nil {
		b.covers = map[uuid.UUID]coverage{}
	}
	b.covers[it.ID] = c
	return c
}

// frac is a number of months as num/den with its text.
type frac struct {
	num, den int64
	text     string
}

// months is monthsIn, remembered: most rooms price the same stretches.
func (b *book) monthsIn(from, to civil.Date) frac {
	k := [2]civil.Date{from, to}
	if f, ok := b.fracs[k]; ok {
		return f
	}
	var f frac
	f.num, f.den, f.text = monthsIn(from, to)
	if b.fracs == nil {
		b.fracs = map[[2]civil.Date]frac{}
	}
	b.fracs[k] = f
	return f
}

// rate is mustRate, remembered.
func (b *book) rate(s string, scale int) int64 {
	k := s + "/" + string(rune('0'+scale))
	if v, ok := b.rates[k]; ok {
		return v
	}
	v := mustRate(s, scale)
	if b.rates == nil {
		b.rates = map[string]int64{}
	}
	b.rates[k] = v
	return v
}

// split is a shared item's apportionment for one period.
type split struct {
	missing bool // the common meter has no reading for a month
	from    civil.Date
	to      civil.Date
	rule    Rule
	used    int64 // consumption of the common meter
	total   int64 // its amount, rounded
	weights map[uuid.UUID]int64
	sum     int64
	parts   map[uuid.UUID]int64
	text    string
}

// cover is the stretch an item bills in period p: ok is false outside its
// cycle's billing months. In advance it is the cycle starting at p, in
// arrears the one that ended before p.
func cover(it Item, p civil.Period) (from, to civil.Date, months []string, ok bool) {
	n := Cycles[it.Cycle]
	if n == 0 || (int(p.Month)-1)%n != 0 {
		return from, to, nil, false
	}
	first := p
	if it.Billing == "arrears" {
		first = p.Add(-n)
	}
	for i := range n {
		months = append(months, first.Add(i).String())
	}
	return first.Start(), first.Add(n - 1).End(), months, true
}

// loadBook reads a community's priced items and their versions; drafts too
// for a preview.
func loadBook(tx *gorm.DB, tenantID, communityID uuid.UUID, drafts bool) (*book, error) {
	b := &book{rules: map[uuid.UUID][]Rule{}, shared: map[uuid.UUID]*split{}}
	err := in(tx, tenantID).Where("community_id = ? AND active = ? AND kind <> ?", communityID, true, KindOneOff).
		Order("code").Find(&b.items).Error
	if err != nil || len(b.items) == 0 {
		return b, err
	}
	ids := make([]uuid.UUID, len(b.items))
	for i, it := range b.items {
		ids[i] = it.ID
	}
	statuses := []string{StatusActive}
	if drafts {
		statuses = append(statuses, StatusDraft)
	}
	var rules []Rule
	if err := in(tx, tenantID).Where("item_id IN ? AND status IN ?", ids, statuses).Order("valid_from, version").Find(&rules).Error; err != nil {
		return nil, err
	}
	for _, r := range rules {
		r.prepare()
		b.rules[r.ItemID] = append(b.rules[r.ItemID], r)
	}
	return b, nil
}

// needsMeters reports whether any item prices readings of rooms' meters.
func (b *book) needsMeters() bool {
	for _, it := range b.items {
		if it.Kind == KindMetered {
			return true
		}
	}
	return false
}

// loadShared apportions every shared item of the book for period p over
// the rooms of its common meter's building or community.
func (s *Service) loadShared(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, b *book, p civil.Period) error {
	for _, it := range b.items {
		if it.Kind != KindShared || it.CommonMeterID == nil {
			continue
		}
		from, to, months, ok := cover(it, p)
		if !ok {
			continue
		}
		sp := &split{from: from, to: to, weights: map[uuid.UUID]int64{}}
		b.shared[it.ID] = sp
		var m Meter
		if err := in(tx, tenantID).First(&m, "id = ?", *it.CommonMeterID).Error; err != nil {
			return err
		}
		used, missing, err := commonUse(tx, tenantID, m, months)
		if err != nil {
			return err
		}
		rule, ok := ruleOn(b.rules[it.ID], to)
		if sp.missing = missing; missing || !ok {
			continue
		}
		sp.rule, sp.used = rule, used
		amount, text := tiered(b.rate, used, ruleTiers(rule), rateScale(it), it.Currency.Exponent())
		sp.total, sp.text = amount.round(modes[it.Rounding]), text
		if err := s.weigh(ctx, tenantID, it, m, sp); err != nil {
			return err
		}
	}
	return nil
}

// weigh reads the rooms sharing a common meter and splits its amount.
func (s *Service) weigh(ctx context.Context, tenantID uuid.UUID, it Item, m Meter, sp *split) error {
	var ids []uuid.UUID
	var ws []int64
	for after := uuid.Nil; ; {
		rooms, err := s.rooms.FeeRooms(ctx, tenantID, it.CommunityID, after, 5000)
		if err != nil {
			return err
		}
		for _, r := range rooms {
			if m.BuildingID != nil && r.BuildingID != *m.BuildingID {
				continue
			}
			w := int64(1)
			if it.Apportion == "area" {
				w = r.BuiltArea
			}
			ids, ws = append(ids, r.ID), append(ws, w)
			sp.weights[r.ID] = w
			sp.sum += w
		}
		if len(rooms) < 5000 {
			break
		}
		after = rooms[len(rooms)-1].ID
	}
	sp.parts = map[uuid.UUID]int64{}
	for i, part := range apportion(sp.total, ws) {
		sp.parts[ids[i]] = part
	}
	return nil
}

// commonUse sums a common meter's (and its successors') consumption over
// months; missing is true when a month has no reading.
func commonUse(tx *gorm.DB, tenantID uuid.UUID, m Meter, months []string) (used int64, missing bool, err error) {
	chain := []uuid.UUID{m.ID}
	for next := m.ReplacedBy; next != nil; {
		var n Meter
		if err := in(tx, tenantID).First(&n, "id = ?", *next).Error; err != nil {
			return 0, false, err
		}
		chain, next = append(chain, n.ID), n.ReplacedBy
	}
	var rows []Reading
	if err := in(tx, tenantID).Where("meter_id IN ? AND period IN ?", chain, months).Find(&rows).Error; err != nil {
		return 0, false, err
	}
	seen := map[string]bool{}
	for _, r := range rows {
		used += r.Consumption
		seen[r.Period] = true
	}
	return used, len(seen) < len(months), nil
}

// ruleOn is the version in force on day d.
func ruleOn(rules []Rule, d civil.Date) (Rule, bool) {
	for _, r := range rules {
		if r.covers(d) {
			return r, true
		}
	}
	return Rule{}, false
}

// ruleTiers is a rule's tiers, or its single rate as one open tier.
func ruleTiers(r Rule) []Tier {
	if r.tierCache != nil {
		return r.tierCache
	}
	if t := r.tiers(); len(t) > 0 {
		return t
	}
	return []Tier{{Rate: r.Rate}}
}

// roomData is what pricing knows of one room besides the book.
type roomData struct {
	room   Room
	res    []Residence
	use    map[string]map[string]int64 // meter kind → period → consumption
	meters map[string]civil.Date       // meter kind → first installed
}

// loadRooms reads the residences and meter readings of a batch of rooms.
func (s *Service) loadRooms(tx *gorm.DB, tenantID uuid.UUID, b *book, rooms []Room, months []string) ([]roomData, error) {
	ids := make([]uuid.UUID, len(rooms))
	out := make([]roomData, len(rooms))
	at := make(map[uuid.UUID]*roomData, len(rooms))
	for i, r := range rooms {
		ids[i], out[i] = r.ID, roomData{room: r}
		at[r.ID] = &out[i]
	}
	res, err := s.residents.Residences(store.Ctx(tx), tenantID, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		if d := at[r.RoomID]; d != nil {
			d.res = append(d.res, r)
		}
	}
	if !b.needsMeters() {
		return out, nil
	}
	return out, loadUse(tx, tenantID, rooms, months, at)
}

// loadUse reads the rooms' meters and their consumption per kind and
// month. The rooms are a batch in id order: they are found by their id
// range in the community, which an index on (tenant_id, room_id) serves
// without a list of thousands of ids.
func loadUse(tx *gorm.DB, tenantID uuid.UUID, rooms []Room, months []string, at map[uuid.UUID]*roomData) error {
	comm, first, last := rooms[0].CommunityID, rooms[0].ID, rooms[len(rooms)-1].ID
	var meters []struct {
		RoomID    uuid.UUID
		Kind      string
		Installed civil.Date
	}
	if err := tx.Raw(`SELECT room_id, kind, MIN(installed_on) AS installed FROM meters
WHERE tenant_id = ? AND room_id BETWEEN ? AND ? AND community_id = ? GROUP BY room_id, kind`, tenantID, first, last, comm).Scan(&meters).Error; err != nil {
		return err
	}
	for _, m := range meters {
		d := at[m.RoomID]
		if d == nil {
			continue
		}
		if d.meters == nil {
			d.meters, d.use = map[string]civil.Date{}, map[string]map[string]int64{}
		}
		d.meters[m.Kind], d.use[m.Kind] = m.Installed, map[string]int64{}
	}
	if len(meters) == 0 || len(months) == 0 {
		return nil
	}
	var use []struct {
		RoomID uuid.UUID
		Kind   string
		Period string
		Used   int64
	}
	if err := tx.Raw(`SELECT r.room_id, m.kind, r.period, SUM(r.consumption) AS used
FROM meter_readings r JOIN meters m ON m.tenant_id = r.tenant_id AND m.id = r.meter_id
WHERE r.tenant_id = ? AND r.room_id BETWEEN ? AND ? AND r.period IN ? AND m.community_id = ?
GROUP BY r.room_id, m.kind, r.period`, tenantID, first, last, months, comm).Scan(&use).Error; err != nil {
		return err
	}
	for _, u := range use {
		if d := at[u.RoomID]; d != nil && d.use[u.Kind] != nil {
			d.use[u.Kind][u.Period] = u.Used
		}
	}
	return nil
}

// months lists every month any item of b covers in period p.
func (b *book) months(p civil.Period) []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range b.items {
		if it.Kind != KindMetered {
			continue
		}
		_, _, ms, _ := cover(it, p)
		for _, m := range ms {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}
