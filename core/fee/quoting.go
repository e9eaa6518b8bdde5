package fee

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/store"
)

// Quote prices one room for one period (also used by preview and
// prepayment) with the active rule versions.
func (s *Service) Quote(ctx context.Context, tenantID, roomID uuid.UUID, period civil.Period) (RoomQuote, error) {
	return s.quoteOne(ctx, tenantID, roomID, period, false)
}

// Preview is Quote with draft versions priced too: what a room would owe
// once the drafts are activated.
func (s *Service) Preview(ctx context.Context, tenantID, roomID uuid.UUID, period civil.Period) (RoomQuote, error) {
	return s.quoteOne(ctx, tenantID, roomID, period, true)
}

func (s *Service) quoteOne(ctx context.Context, tenantID, roomID uuid.UUID, period civil.Period, drafts bool) (q RoomQuote, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		room, ok, err := s.rooms.FeeRoom(store.Ctx(tx), tenantID, roomID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrRoomNotFound
		}
		b, err := loadBook(tx, tenantID, room.CommunityID, drafts)
		if err != nil {
			return err
		}
		q, err = s.quoteWith(tx, tenantID, b, room, period)
		return err
	})
	return q, err
}

func (s *Service) quoteWith(tx *gorm.DB, tenantID uuid.UUID, b *book, room Room, period civil.Period) (RoomQuote, error) {
	if err := s.loadShared(store.Ctx(tx), tx, tenantID, b, period); err != nil {
		return RoomQuote{}, err
	}
	data, err := s.loadRooms(tx, tenantID, b, []Room{room}, b.months(period))
	if err != nil {
		return RoomQuote{}, err
	}
	return quoteRoom(b, data[0], period), nil
}

// DraftPreview prices a room with an item that is not saved: its settings
// and rule versions as they would be created.
type DraftPreview struct {
	RoomID uuid.UUID   `json:"room_id"`
	Period string      `json:"period"`
	Item   ItemInput   `json:"item"`
	Rules  []RuleInput `json:"rules"`
}

// PreviewDraft prices one room with an unsaved item only.
func (s *Service) PreviewDraft(ctx context.Context, tenantID uuid.UUID, d DraftPreview) (q RoomQuote, err error) {
	p, err := civil.ParsePeriod(d.Period)
	if err != nil {
		return q, err
	}
	if err := d.Item.Validate(); err != nil {
		return q, err
	}
	it := Item{TenantID: tenantID}
	d.Item.apply(&it)
	b := &book{items: []Item{it}, rules: map[uuid.UUID][]Rule{}, shared: map[uuid.UUID]*split{}}
	for i, ri := range d.Rules {
		if err := ri.check(it); err != nil {
			return q, err
		}
		r := Rule{Version: i + 1, Status: StatusDraft}
		ri.apply(&r, it)
		for _, o := range b.rules[it.ID] {
			if o.overlaps(r) {
				return q, ErrOverlap
			}
		}
		b.rules[it.ID] = append(b.rules[it.ID], r)
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		room, ok, err := s.rooms.FeeRoom(store.Ctx(tx), tenantID, d.RoomID)
		if err != nil {
			return err
		}
		if !ok || room.CommunityID != it.CommunityID {
			return ErrUnknownRoom
		}
		q, err = s.quoteWith(tx, tenantID, b, room, p)
		return err
	})
	return q, err
}

// QuoteCommunity prices every room of a community for a period, calling fn
// with batches of quotes in room-id order, starting after room id `after`
// (uuid.Nil = from the start) so a killed run can resume. Each batch is
// read in a transaction of its own, the next one while this one is priced;
// fn runs outside them. Called inside a caller's transaction, the batches
// are read one after the other in it.
func (s *Service) QuoteCommunity(ctx context.Context, tenantID, communityID uuid.UUID, period civil.Period, after uuid.UUID, batch int, fn func([]RoomQuote) error) error {
	if batch <= 0 || batch > 10_000 {
		batch = 2000
	}
	var b *book
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		ok, err := s.rooms.CommunityExists(store.Ctx(tx), tenantID, communityID)
		if err != nil || !ok {
			return firstErr(err, apperr.NotFound)
		}
		if b, err = loadBook(tx, tenantID, communityID, false); err != nil {
			return err
		}
		return s.loadShared(store.Ctx(tx), tx, tenantID, b, period)
	})
	if err != nil {
		return err
	}
	r := reader{s: s, tenantID: tenantID, communityID: communityID, b: b, months: b.months(period), after: after, batch: batch}
	next := r.read
	if !store.InRequestTx(ctx) {
		var stop func()
		next, stop = r.ahead(ctx)
		defer stop()
	}
	for {
		data, err := next(ctx)
		if err != nil || len(data) == 0 {
			return err
		}
		quotes := make([]RoomQuote, len(data))
		for i, d := range data {
			quotes[i] = quoteRoom(b, d, period)
		}
		if err := fn(quotes); err != nil {
			return err
		}
		if len(data) < batch {
			return nil
		}
	}
}

// reader reads a community's rooms batch after batch.
type reader struct {
	s                     *Service
	tenantID, communityID uuid.UUID
	b                     *book
	months                []string
	after                 uuid.UUID
	batch                 int
}

// read reads the next batch; empty at the end.
func (r *reader) read(ctx context.Context) (data []roomData, err error) {
	err = r.s.db.InTenant(ctx, r.tenantID, func(tx *gorm.DB) error {
		rooms, err := r.s.rooms.FeeRooms(store.Ctx(tx), r.tenantID, r.communityID, r.after, r.batch)
		if err != nil || len(rooms) == 0 {
			return err
		}
		r.after = rooms[len(rooms)-1].ID
		data, err = r.s.loadRooms(tx, r.tenantID, r.b, rooms, r.months)
		return err
	})
	return data, err
}

type readResult struct {
	data []roomData
	err  error
}

// ahead reads batches in a goroutine, one ahead of the caller; stop ends it.
func (r *reader) ahead(ctx context.Context) (next func(context.Context) ([]roomData, error), stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan readResult, 1)
	go func() {
		defer close(ch)
		for {
			data, err := r.read(ctx)
			select {
			case ch <- readResult{data, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(data) < r.batch {
				return
			}
		}
	}()
	next = func(context.Context) ([]roomData, error) {
		res, ok := <-ch
		if !ok {
			return nil, ctx.Err()
		}
		return res.data, res.err
	}
	stop = func() {
		cancel()
		for range ch { // let the goroutine end before returning
		}
	}
	return next, stop
}

func firstErr(err error, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}
