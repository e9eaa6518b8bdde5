package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Config is the plugin's configuration (see configSchema): the tariff's
// keys sit at the top level, as tenant manifests write them.
type Config struct {
	Tariff
	Currency      string   `json:"currency,omitempty"`
	DedupeSeconds int      `json:"dedupe_seconds,omitempty"` // the same plate at the same gate within this is one read
	LongStayDays  int      `json:"long_stay_days,omitempty"` // a stay longer than this raises a work order
	GuardUserIDs  []string `json:"guard_user_ids,omitempty"` // accounts alerted at once
	PayBaseURL    string   `json:"pay_base_url,omitempty"`   // unused by the core's QR; kept for kiosks
	Demo          *Demo    `json:"demo,omitempty"`
}

func (c Config) withDefaults() Config {
	if c.Currency == "" {
		c.Currency = "CNY"
	}
	if c.DedupeSeconds == 0 {
		c.DedupeSeconds = 10
	}
	if c.LongStayDays == 0 {
		c.LongStayDays = 7
	}
	return c
}

// hardware is what the plugin asks of the host about devices, vehicles and
// payments (API 3); *plugin.Host is one, tests give a fake.
type hardware interface {
	Devices(ctx context.Context, class, communityID string) ([]*wuyepb.DeviceInfo, error)
	Command(ctx context.Context, deviceID, command string, args any, requestID string) (*wuyepb.CommandResult, error)
	Vehicle(ctx context.Context, plate string) (*wuyepb.Vehicle, error)
	Vehicles(ctx context.Context, residentID, roomID string) ([]*wuyepb.Vehicle, error)
	Pay(ctx context.Context, req *wuyepb.CreatePaymentRequest) (*wuyepb.Payment, error)
}

// app is the plugin's state: its host, its configuration and a clock.
type app struct {
	p   *plugin.Plugin
	now func() time.Time
	hw  hardware // nil: the host

	mu  sync.RWMutex
	cfg Config
}

func (a *app) host() *plugin.Host { return a.p.Host }

func (a *app) dev() hardware {
	if a.hw != nil {
		return a.hw
	}
	return a.p.Host
}

func (a *app) loc() *time.Location {
	if a.p.Tenant.Location != nil {
		return a.p.Tenant.Location
	}
	return time.Local
}

func (a *app) config() Config {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.cfg.withDefaults()
}

func (a *app) setConfig(raw json.RawMessage) error {
	var c Config
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return err
		}
	}
	if err := c.Tariff.Check(); err != nil {
		return err
	}
	if c.DedupeSeconds < 0 || c.LongStayDays < 0 {
		return errors.New("dedupe_seconds and long_stay_days are not negative")
	}
	a.mu.Lock()
	a.cfg = c
	a.mu.Unlock()
	return nil
}

// newID is a random record id.
func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// hashID is a record id derived from parts, so a retry finds the record
// its first attempt wrote.
func hashID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

const (
	grpcAlreadyExists = 6
	grpcAborted       = 10
)

func isStale(err error) bool {
	var he *plugin.HostError
	return errors.As(err, &he) && he.GRPC == grpcAborted
}

func isTaken(err error) bool {
	var he *plugin.HostError
	return errors.As(err, &he) && he.GRPC == grpcAlreadyExists
}

// retry runs f again while it fails with a stale version, with jitter.
func retry(ctx context.Context, f func() error) error {
	for i := 0; ; i++ {
		err := f()
		if err == nil || !isStale(err) || i >= 200 {
			return err
		}
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(1+min(i, 20))*int64(time.Millisecond)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(n.Int64())):
		}
	}
}

func notFound(code, en, zh string) error { return plugin.Errorf(http.StatusNotFound, code, en, zh) }

func field(name, code, en, zh string) plugin.FieldError {
	return plugin.FieldError{Field: name, Code: code, EN: en, ZH: zh}
}

// get reads collection/id into v, answering 404 with code when missing.
func (a *app) get(ctx context.Context, col, id string, v any, code string) (int64, error) {
	rec, err := a.host().Get(ctx, col, id, v)
	if plugin.IsNotFound(err) {
		return 0, notFound(code, "No such "+col+" record.", "记录不存在。")
	}
	if err != nil {
		return 0, err
	}
	return rec.Version, nil
}

// all reads every record of a small collection matching q into out.
func all[T any](ctx context.Context, h *plugin.Host, q plugin.Query, setID func(*T, string)) ([]T, error) {
	recs, err := h.QueryAll(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(recs))
	for _, r := range recs {
		var v T
		if err := r.Decode(&v); err != nil {
			return nil, err
		}
		if setID != nil {
			setID(&v, r.ID)
		}
		out = append(out, v)
	}
	return out, nil
}

func (a *app) audit(ctx context.Context, action, objType, id string, detail any) error {
	return a.host().Audit(ctx, action, objType, id, detail)
}
