package stream

import (
	"context"
	"encoding/hex"
	"hash/fnv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/driver"
)

// eventRow is one line of the log as written (seq is the database's).
type eventRow struct {
	TenantID   uuid.UUID
	ID         uuid.UUID
	DeviceID   uuid.UUID
	Type       string
	OccurredAt time.Time
	ReceivedAt time.Time
	DedupKey   string
	Payload    string
	PictureID  *uuid.UUID
}

func (eventRow) TableName() string { return "device_events" }

type cursorRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	Plugin    string    `gorm:"primaryKey"`
	Seq       int64
	UpdatedAt time.Time
}

func (cursorRow) TableName() string { return "device_event_cursors" }

// PictureOwner is the attachment owner kind of an event's picture (its id is the event's).
const PictureOwner = "device_event"

// Repeat windows: an identical keyless payload, and a camera's second
// report of the same plate.
const (
	samePayloadWindow = time.Second
	samePlateWindow   = 2 * time.Second
)

type request struct {
	tenantID uuid.UUID
	evs      []event
	done     chan result
}

type result struct {
	acc, dup int
	err      error
}

type tenantPlugin struct {
	tenant uuid.UUID
	plugin string
}

// writer is the process's one appender: it gathers the requests that arrive
// within MaxWait (or MaxBatch events) and commits them together.
type writer struct {
	s       *Stream
	in      chan *request
	recent  map[string]time.Time // repeat keys of accepted keyless events and plates
	swept   time.Time
	cursors map[tenantPlugin]bool // cursor rows known to exist
}

func (w *writer) submit(ctx context.Context, tenantID uuid.UUID, evs []event) (int, int, error) {
	r := &request{tenantID: tenantID, evs: evs, done: make(chan result, 1)}
	select {
	case w.in <- r:
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	case <-w.s.quit:
		return 0, 0, ErrStopped
	}
	select {
	case res := <-r.done:
		return res.acc, res.dup, res.err
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
}

func (w *writer) run() {
	defer close(w.s.writerDone)
	for {
		var first *request
		select {
		case first = <-w.in:
		case <-w.s.quit:
			return
		}
		batch, n := []*request{first}, len(first.evs)
		timer := time.NewTimer(w.s.opt.MaxWait)
	fill:
		for n < w.s.opt.MaxBatch {
			select {
			case r := <-w.in:
				batch = append(batch, r)
				n += len(r.evs)
			case <-timer.C:
				break fill
			}
		}
		timer.Stop()
		w.commit(batch)
	}
}

// commit writes a batch, one transaction per tenant in it.
func (w *writer) commit(batch []*request) {
	var order []uuid.UUID
	by := map[uuid.UUID][]*request{}
	for _, r := range batch {
		if _, ok := by[r.tenantID]; !ok {
			order = append(order, r.tenantID)
		}
		by[r.tenantID] = append(by[r.tenantID], r)
	}
	for _, t := range order {
		w.commitTenant(t, by[t])
	}
}

func repeatKeys(e *event) (keys []string, windows []time.Duration) {
	if e.row.DedupKey == "" {
		h := fnv.New128a()
		h.Write([]byte(e.row.Payload))
		keys = append(keys, "p\x00"+e.row.DeviceID.String()+"\x00"+e.row.Type+"\x00"+hex.EncodeToString(h.Sum(nil)))
		windows = append(windows, samePayloadWindow)
	}
	if e.row.Type == driver.PlateRecognized && e.plate != "" {
		keys = append(keys, "l\x00"+e.row.DeviceID.String()+"\x00"+e.plate)
		windows = append(windows, samePlateWindow)
	}
	return keys, windows
}

func (w *writer) commitTenant(tenantID uuid.UUID, reqs []*request) {
	s := w.s
	now := s.now()
	w.sweep(now)
	res := make([]result, len(reqs))
	prefix := tenantID.String() + "\x00"
	batchRecent := map[string]time.Time{}
	batchKeys := map[string]bool{}
	type item struct {
		req int
		ev  *event
	}
	var fresh []item
	var keyed []dedupRef
	for i, r := range reqs {
		for j := range r.evs {
			e := &r.evs[j]
			keys, wins := repeatKeys(e)
			dup := false
			for k, key := range keys {
				t, ok := batchRecent[prefix+key]
				if !ok {
					t, ok = w.recent[prefix+key]
				}
				if ok && now.Sub(t) < wins[k] {
					dup = true
				}
			}
			if e.row.DedupKey != "" {
				ref := dedupRef{e.row.DeviceID, e.row.Type, e.row.DedupKey}
				if dk := ref.String(); batchKeys[dk] {
					dup = true
				} else if !dup {
					batchKeys[dk] = true
					keyed = append(keyed, ref)
				}
			}
			if dup {
				res[i].dup++
				continue
			}
			for _, key := range keys {
				batchRecent[prefix+key] = now
			}
			fresh = append(fresh, item{i, e})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Subscribers of the batch's types: the catalogue caches them.
	types := map[string]bool{}
	for _, it := range fresh {
		types[it.ev.row.Type] = true
	}
	var plugins []string
	seenPlugin := map[string]bool{}
	var err error
	for t := range types {
		subs, e := s.dir.Subscribers(ctx, tenantID, t)
		if e != nil {
			err = e
			break
		}
		for _, p := range subs {
			if !seenPlugin[p] {
				seenPlugin[p] = true
				plugins = append(plugins, p)
			}
		}
	}
	var accepted []*event
	if err == nil {
		err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
			accepted = accepted[:0]
			known, err := existingKeys(tx, s.db.Dialect(), keyed)
			if err != nil {
				return err
			}
			rows := make([]eventRow, 0, len(fresh))
			for _, it := range fresh {
				e := it.ev
				if e.row.DedupKey != "" && known[dedupRef{e.row.DeviceID, e.row.Type, e.row.DedupKey}.String()] {
					continue
				}
				if e.picture != nil {
					a, err := attachment.Put(tx, tenantID, attachment.Owner{Kind: PictureOwner, ID: e.row.ID}, *e.picture,
						actor.Actor{Kind: actor.System, Name: "device"})
					if err != nil {
						return err
					}
					e.row.PictureID = &a.ID
				}
				rows = append(rows, e.row)
				accepted = append(accepted, e)
			}
			if err := w.ensureCursors(tx, tenantID, plugins); err != nil {
				return err
			}
			if len(rows) == 0 {
				return nil
			}
			return tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500).Error
		})
	}
	if err != nil {
		for _, r := range reqs {
			r.done <- result{err: err}
		}
		return
	}
	for _, p := range plugins {
		w.cursors[tenantPlugin{tenantID, p}] = true
	}
	acceptedSet := make(map[*event]bool, len(accepted))
	for _, e := range accepted {
		acceptedSet[e] = true
	}
	for _, it := range fresh {
		if acceptedSet[it.ev] {
			res[it.req].acc++
			s.reg.Seen(tenantID, it.ev.row.DeviceID, it.ev.row.ReceivedAt)
		} else {
			res[it.req].dup++
		}
	}
	for k, t := range batchRecent {
		w.recent[k] = t
	}
	acc, dup := 0, 0
	for i, r := range reqs {
		acc += res[i].acc
		dup += res[i].dup
		r.done <- res[i]
	}
	s.m.accepted.Add(float64(acc))
	s.m.duplicates.Add(float64(dup))
	if acc > 0 {
		s.d.wake(tenantID, plugins)
	}
}

// dedupRef is a keyed event's identity in the log.
type dedupRef struct {
	device uuid.UUID
	typ    string
	key    string
}

func (k dedupRef) String() string { return k.device.String() + "\x00" + k.typ + "\x00" + k.key }

// existingKeys returns which of refs the log already holds, as
// "device\x00type\x00key", in one query per 500, each key looked up in the
// partial unique index rather than the tenant's log scanned. PostgreSQL
// joins the (device, type, key) triples to the index; SQLite plans that as
// a scan, so it gets IN lists on every column of the index instead (with
// the index's predicate repeated, which SQLite needs to use it).
func existingKeys(tx *gorm.DB, dialect store.Dialect, refs []dedupRef) (map[string]bool, error) {
	known := map[string]bool{}
	for len(refs) > 0 {
		part := refs[:min(len(refs), 500)]
		refs = refs[len(part):]
		q := tx.Model(&eventRow{}).Select("device_id", "type", "dedup_key")
		if dialect == store.Postgres {
			var sb strings.Builder
			args := make([]any, 0, 3*len(part))
			sb.WriteString("dedup_key <> '' AND (device_id, type, dedup_key) IN (VALUES ")
			for i, r := range part {
				if i > 0 {
					sb.WriteString(",")
				}
				sb.WriteString("(?::uuid, ?, ?)")
				args = append(args, r.device, r.typ, r.key)
			}
			sb.WriteString(")")
			q = q.Where(sb.String(), args...)
		} else {
			var devs []uuid.UUID
			var types, keys []string
			seenDev, seenType := map[uuid.UUID]bool{}, map[string]bool{}
			for _, r := range part {
				if !seenDev[r.device] {
					seenDev[r.device] = true
					devs = append(devs, r.device)
				}
				if !seenType[r.typ] {
					seenType[r.typ] = true
					types = append(types, r.typ)
				}
				keys = append(keys, r.key)
			}
			q = q.Where("dedup_key <> '' AND device_id IN ? AND type IN ? AND dedup_key IN ?", devs, types, keys)
		}
		var rows []eventRow
		if err := q.Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			known[dedupRef{r.DeviceID, r.Type, r.DedupKey}.String()] = true
		}
	}
	return known, nil
}

// ensureCursors gives each subscribed plugin without one a cursor at the
// log's end before this batch, in the batch's transaction: a new
// subscriber starts with the events that woke it, and none is lost if the
// process stops before it is delivered.
func (w *writer) ensureCursors(tx *gorm.DB, tenantID uuid.UUID, plugins []string) error {
	var missing []cursorRow
	for _, p := range plugins {
		if !w.cursors[tenantPlugin{tenantID, p}] {
			missing = append(missing, cursorRow{TenantID: tenantID, Plugin: p, UpdatedAt: w.s.now().UTC()})
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var end int64
	if err := tx.Model(&eventRow{}).Select("COALESCE(MAX(seq), 0)").Scan(&end).Error; err != nil {
		return err
	}
	for i := range missing {
		missing[i].Seq = end
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&missing).Error; err != nil {
		return err
	}
	return nil
}

// sweep forgets repeat keys older than the longest window.
func (w *writer) sweep(now time.Time) {
	if now.Sub(w.swept) < time.Second {
		return
	}
	w.swept = now
	for k, t := range w.recent {
		if now.Sub(t) >= samePlateWindow {
			delete(w.recent, k)
		}
	}
}
