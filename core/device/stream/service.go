package stream

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/store"
)

// Stream is the process's device event log and dispatcher.
type Stream struct {
	db   *store.DB
	reg  Registry
	dir  Directory
	run  pluginhost.Runner
	opt  Options
	now  func() time.Time
	refs *refCache
	w    *writer
	d    *dispatcher
	m    *metrics

	quit       chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
}

// New returns a Stream whose writer is running: Accept works at once.
// Run delivers; Close stops the writer.
func New(db *store.DB, reg Registry, dir Directory, run pluginhost.Runner, opt Options) (*Stream, error) {
	if db == nil || reg == nil || dir == nil || run == nil {
		return nil, errors.New("stream: New needs a database, the device registry, the plugin directory and the runner")
	}
	opt.defaults()
	s := &Stream{db: db, reg: reg, dir: dir, run: run, opt: opt, now: time.Now,
		refs: &refCache{m: map[[2]uuid.UUID]cachedRef{}, ttl: 2 * time.Second},
		m:    newMetrics(), quit: make(chan struct{}), writerDone: make(chan struct{})}
	s.w = &writer{s: s, in: make(chan *request), recent: map[string]time.Time{}, cursors: map[tenantPlugin]bool{}}
	s.d = &dispatcher{s: s, consumers: map[tenantPlugin]*consumer{}}
	go s.w.run()
	return s, nil
}

// Run resumes every plugin's consumer from its cursor, delivers until ctx
// ends, prunes the log periodically, and returns once every consumer has
// saved its cursor.
func (s *Stream) Run(ctx context.Context) error {
	// Reading the cursors can meet a busy database (SQLite's one writer at
	// start-up); the stream must not stay down for that.
	for backoff := 100 * time.Millisecond; ; backoff = min(backoff*2, 5*time.Second) {
		err := s.d.start(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		s.opt.Log.Warn("device stream: reading the cursors failed; retrying", "err", err, "retry_in", backoff)
		if !sleep(ctx, backoff) {
			return nil
		}
	}
	t := time.NewTicker(s.opt.PruneEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.d.wait()
			return nil
		case <-t.C:
			if n, err := s.Prune(ctx); err != nil && ctx.Err() == nil {
				s.opt.Log.Error("device stream: pruning the log", "err", err)
			} else if n > 0 {
				s.opt.Log.Info("device stream: pruned old events", "events", n)
			}
		}
	}
}

// Close stops the writer: Accept answers ErrStopped after it.
func (s *Stream) Close() {
	s.closeOnce.Do(func() { close(s.quit) })
	<-s.writerDone
}

// Prune deletes events (and their pictures) received before the retention.
func (s *Stream) Prune(ctx context.Context) (int64, error) {
	cutoff := s.now().Add(-s.opt.Retention).UTC()
	var n int64
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("owner_kind = ? AND created_at < ?", PictureOwner, cutoff).Delete(&attachment.Attachment{}).Error; err != nil {
			return err
		}
		res := tx.Where("received_at < ?", cutoff).Delete(&eventRow{})
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}
