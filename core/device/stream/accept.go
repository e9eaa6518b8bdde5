package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// event is one checked event on its way to the log.
type event struct {
	row     eventRow
	picture *attachment.File
	plate   string // plate.recognized's plate, for the two-second rule
}

// refCache keeps device refs for a moment: a camera sends many events a
// second and the registry need not be asked for each.
type refCache struct {
	mu  sync.Mutex
	m   map[[2]uuid.UUID]cachedRef
	ttl time.Duration
}

type cachedRef struct {
	ref Ref
	at  time.Time
}

func (c *refCache) get(ctx context.Context, reg Registry, tenantID, id uuid.UUID, now time.Time) (Ref, error) {
	k := [2]uuid.UUID{tenantID, id}
	c.mu.Lock()
	r, ok := c.m[k]
	c.mu.Unlock()
	if ok && now.Sub(r.at) < c.ttl {
		return r.ref, nil
	}
	ref, err := reg.Ref(ctx, tenantID, id)
	if err != nil {
		return Ref{}, err
	}
	c.mu.Lock()
	if len(c.m) > 100_000 {
		clear(c.m)
	}
	c.m[k] = cachedRef{ref, now}
	c.mu.Unlock()
	return ref, nil
}

// Emit is hostsvc.Devices.Emit: Accept.
func (s *Stream) Emit(ctx context.Context, tenantID uuid.UUID, drv string, evs []*wuyepb.DeviceEvent) (int, int, error) {
	return s.Accept(ctx, tenantID, drv, evs)
}

// Accept stores driver drv's events for the tenant and returns how many were
// new and how many repeats, once the batch holding them has committed. Every
// event is checked first: one bad event refuses them all, and nothing is
// written. A device that is not the tenant's, or not drv's, is NotFound.
func (s *Stream) Accept(ctx context.Context, tenantID uuid.UUID, drv string, evs []*wuyepb.DeviceEvent) (accepted, dups int, err error) {
	if len(evs) == 0 {
		return 0, 0, nil
	}
	now := s.now().UTC()
	out := make([]event, 0, len(evs))
	for _, in := range evs {
		e, err := s.check(ctx, tenantID, drv, in, now)
		if err != nil {
			return 0, 0, err
		}
		out = append(out, e)
	}
	return s.w.submit(ctx, tenantID, out)
}

func (s *Stream) check(ctx context.Context, tenantID uuid.UUID, drv string, in *wuyepb.DeviceEvent, now time.Time) (event, error) {
	id, err := uuid.Parse(in.GetDeviceId())
	if err != nil {
		return event{}, apperr.NotFound
	}
	ref, err := s.refs.get(ctx, s.reg, tenantID, id, now)
	if err != nil {
		return event{}, err
	}
	if ref.Driver != drv {
		return event{}, apperr.NotFound
	}
	typ := in.GetType()
	if !slices.Contains(driver.EventTypes, typ) && !(strings.HasPrefix(typ, drv+".") && len(typ) <= 100 && typeRe.MatchString(typ)) {
		return event{}, ErrBadType
	}
	payload, err := checkPayload(in.GetPayload())
	if err != nil {
		return event{}, err
	}
	if len(in.GetKey()) > maxKey {
		return event{}, ErrBadKey
	}
	occurred := now
	if ms := in.GetOccurredAtUnixMs(); ms > 0 {
		occurred = time.UnixMilli(ms).UTC()
	}
	e := event{row: eventRow{TenantID: tenantID, ID: store.NewID(), DeviceID: id, Type: typ,
		OccurredAt: occurred, ReceivedAt: now, DedupKey: in.GetKey(), Payload: string(payload)}}
	if pic := in.GetPicture(); len(pic) > 0 {
		if len(pic) > MaxPicture {
			return event{}, ErrBadPicture
		}
		f, err := attachment.Read(pictureName(in.GetPictureType()), bytes.NewReader(pic))
		if err != nil || !strings.HasPrefix(f.ContentType, "image/") {
			return event{}, ErrBadPicture
		}
		e.picture = &f
	}
	if typ == driver.PlateRecognized {
		var p struct {
			Plate string `json:"plate"`
		}
		if json.Unmarshal(payload, &p) == nil {
			e.plate = driver.NormalizePlate(p.Plate)
		}
	}
	return e, nil
}

func pictureName(ct string) string {
	switch ct {
	case "image/png":
		return "picture.png"
	case "image/webp":
		return "picture.webp"
	}
	return "picture.jpg"
}

// checkPayload returns p checked as a JSON object ({} when empty).
func checkPayload(p []byte) ([]byte, error) {
	if len(bytes.TrimSpace(p)) == 0 {
		return []byte("{}"), nil
	}
	if len(p) > MaxPayload {
		return nil, ErrBadPayload
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(p, &m); err != nil || m == nil {
		return nil, ErrBadPayload
	}
	return p, nil
}
