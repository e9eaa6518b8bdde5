package stream

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/store"
)

// aheadMax bounds the events a consumer holds read but not settled: the
// reader reads ahead while deliveries run, up to this many.
const aheadMax = 4 * readBatch

// consumer delivers one tenant's log to one plugin. A reader (run) reads the
// log ahead into per-device lanes; up to InFlight workers take lanes in turn
// from a queue, one event at a time, so each device's events go in order,
// a slow device holds only its own lane, and an idle device's new event
// starts as soon as a worker is free. The cursor is the seq below the
// lowest one not yet settled (delivered, skipped, or its plugin disabled).
type consumer struct {
	d    *dispatcher
	key  tenantPlugin
	kick chan struct{}
	ctx  context.Context // run's

	delivered, failed prometheus.Counter
	latency           prometheus.Observer

	// The reader's own.
	saved   int64
	savedAt time.Time

	mu       sync.Mutex
	cursor   int64 // everything up to it is settled
	read     int64 // the highest seq read
	lanes    map[uuid.UUID]*lane
	ready    []*lane   // lanes with events waiting for a worker, in turn
	workers  int       // running
	pending  []pending // read and not yet popped, in seq order, from head
	head     int
	held     int           // events read and not settled
	progress chan struct{} // the cursor moved or room was made (cap 1)
	wg       sync.WaitGroup
}

// lane is a device's events read and not settled, oldest first. It is in
// the ready queue or held by one worker while it has events.
type lane struct{ evs []*logRow }

type pending struct {
	seq  int64
	at   time.Time // received
	done bool
}

func newConsumer(d *dispatcher, k tenantPlugin) *consumer {
	m := d.s.m
	return &consumer{d: d, key: k, kick: make(chan struct{}, 1), lanes: map[uuid.UUID]*lane{},
		progress: make(chan struct{}, 1), delivered: m.delivered.WithLabelValues(k.plugin),
		failed: m.failed.WithLabelValues(k.plugin), latency: m.latency.WithLabelValues(k.plugin)}
}

func (c *consumer) run(ctx context.Context) {
	s := c.d.s
	c.ctx = ctx
	for ctx.Err() == nil {
		if err := c.load(ctx); err == nil {
			break
		} else if ctx.Err() == nil {
			s.opt.Log.Error("device stream: reading cursor", "tenant", c.key.tenant, "plugin", c.key.plugin, "err", err)
		}
		sleep(ctx, s.opt.Poll)
	}
	poll := time.NewTicker(s.opt.Poll)
	defer poll.Stop()
	var saveC <-chan time.Time
	more, full := true, false
	for {
		if more && ctx.Err() == nil {
			full = c.readAhead(ctx)
			more = false
		}
		if saveC == nil {
			c.mu.Lock()
			moved := c.cursor != c.saved
			c.mu.Unlock()
			if moved {
				if wait := s.opt.SaveEvery - time.Since(c.savedAt); wait <= 0 {
					c.save()
				} else {
					saveC = time.After(wait)
				}
			}
		}
		select {
		case <-ctx.Done():
			c.wg.Wait() // the workers stop at once; an event cut short stays after the cursor
			c.save()
			return
		case <-c.kick:
			more = true
		case <-poll.C:
			more = true
		case <-saveC:
			saveC = nil
			c.save()
		case <-c.progress:
			if full { // read again once a batch fits, not one row per settle
				c.mu.Lock()
				more = aheadMax-c.held >= readBatch
				c.mu.Unlock()
			}
		}
	}
}

// readAhead reads the log after what was read, while there is room and
// the log has more; it reports whether it stopped for room.
func (c *consumer) readAhead(ctx context.Context) (full bool) {
	s := c.d.s
	for ctx.Err() == nil {
		c.mu.Lock()
		room, after := aheadMax-c.held, c.read
		c.mu.Unlock()
		if room <= 0 {
			return true
		}
		limit := min(readBatch, room)
		var rows []logRow
		err := s.db.InTenant(store.ReadMostly(ctx), c.key.tenant, func(tx *gorm.DB) error {
			return tx.Where("seq > ?", after).Order("seq").Limit(limit).Find(&rows).Error
		})
		if err != nil {
			if ctx.Err() == nil {
				s.opt.Log.Error("device stream: reading the log", "tenant", c.key.tenant, "plugin", c.key.plugin, "err", err)
			}
			return false
		}
		c.enqueue(rows)
		if len(rows) < limit {
			return false
		}
	}
	return false
}

// enqueue adds rows (in seq order, after everything read) to their lanes
// and starts workers for the lanes that became ready.
func (c *consumer) enqueue(rows []logRow) {
	s := c.d.s
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range rows {
		r := &rows[i]
		l := c.lanes[r.DeviceID]
		if l == nil {
			l = &lane{}
			c.lanes[r.DeviceID] = l
			c.ready = append(c.ready, l)
		}
		l.evs = append(l.evs, r)
		c.pending = append(c.pending, pending{seq: r.Seq, at: r.ReceivedAt})
		c.read = r.Seq
		c.held++
	}
	lag := 0.0
	if c.head < len(c.pending) {
		lag = s.now().Sub(c.pending[c.head].at).Seconds()
	}
	s.m.lag.WithLabelValues(c.key.plugin).Set(lag)
	for n := min(s.opt.InFlight-c.workers, len(c.ready)); n > 0; n-- {
		c.workers++
		c.wg.Add(1)
		go c.work()
	}
}

// work delivers the ready lanes' events, one per turn, until none is ready.
func (c *consumer) work() {
	defer c.wg.Done()
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.ready) > 0 && c.ctx.Err() == nil {
		l := c.ready[0]
		c.ready[0] = nil
		c.ready = c.ready[1:]
		r := l.evs[0]
		c.mu.Unlock()
		ok := c.deliver(c.ctx, r)
		c.mu.Lock()
		if !ok { // shutting down: the event stays after the cursor
			break
		}
		l.evs[0] = nil
		l.evs = l.evs[1:]
		if len(l.evs) > 0 {
			c.ready = append(c.ready, l)
		} else {
			delete(c.lanes, r.DeviceID)
		}
		c.settle(r.Seq)
	}
	c.workers--
}

// settle marks seq delivered and moves the cursor over the settled prefix.
// c.mu is held.
func (c *consumer) settle(seq int64) {
	p := c.pending[c.head:]
	i := sort.Search(len(p), func(i int) bool { return p[i].seq >= seq })
	p[i].done = true
	c.held--
	moved := false
	for c.head < len(c.pending) && c.pending[c.head].done {
		c.cursor = c.pending[c.head].seq
		c.head++
		moved = true
	}
	if c.head > 1024 && c.head*2 > len(c.pending) {
		c.pending = append(c.pending[:0], c.pending[c.head:]...)
		c.head = 0
	}
	if moved {
		select {
		case c.progress <- struct{}{}:
		default:
		}
	}
}

func (c *consumer) load(ctx context.Context) error {
	var r cursorRow
	err := c.d.s.db.InTenant(ctx, c.key.tenant, func(tx *gorm.DB) error {
		err := tx.Where("plugin = ?", c.key.plugin).Take(&r).Error
		if !store.IsNotFound(err) {
			return err
		}
		// No cursor (an event written by an older process): start at the end.
		var end int64
		if err := tx.Model(&eventRow{}).Select("COALESCE(MAX(seq), 0)").Scan(&end).Error; err != nil {
			return err
		}
		r = cursorRow{TenantID: c.key.tenant, Plugin: c.key.plugin, Seq: end, UpdatedAt: c.d.s.now().UTC()}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error
	})
	c.mu.Lock()
	c.cursor, c.read = r.Seq, r.Seq
	c.mu.Unlock()
	c.saved, c.savedAt = r.Seq, time.Now()
	return err
}

// save writes the cursor; a failure is retried at the next save.
func (c *consumer) save() {
	c.mu.Lock()
	seq := c.cursor
	c.mu.Unlock()
	if seq == c.saved {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.d.s.db.InTenant(ctx, c.key.tenant, func(tx *gorm.DB) error {
		return tx.Model(&cursorRow{}).Where("plugin = ? AND seq < ?", c.key.plugin, seq).
			Updates(map[string]any{"seq": seq, "updated_at": c.d.s.now().UTC()}).Error
	})
	if err != nil {
		c.d.s.opt.Log.Error("device stream: saving cursor", "tenant", c.key.tenant, "plugin", c.key.plugin, "err", err)
		return
	}
	c.saved, c.savedAt = seq, time.Now()
}
