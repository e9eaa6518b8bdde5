package ingress_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/device/ingress"
	"github.com/wuye-project/wuye/core/device/stream"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

type registry struct {
	mu   sync.Mutex
	devs map[uuid.UUID]stream.Ref
}

func (r *registry) Ref(_ context.Context, tenantID, id uuid.UUID) (stream.Ref, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.devs[id]
	if !ok || d.TenantID != tenantID {
		return stream.Ref{}, apperr.NotFound
	}
	return d, nil
}

func (r *registry) CheckToken(ctx context.Context, tenantID, id uuid.UUID, token string) (stream.Ref, error) {
	d, err := r.Ref(ctx, tenantID, id)
	if err == nil && token != "s3cret" {
		return stream.Ref{}, ingress.ErrBadToken
	}
	return d, err
}

func (r *registry) Seen(uuid.UUID, uuid.UUID, time.Time) {}

type dir struct{}

func (dir) Subscribers(context.Context, uuid.UUID, string) ([]string, error) { return nil, nil }

type noPlugins struct{}

func (noPlugins) Call(context.Context, uuid.UUID, string, func(context.Context, wuyepb.PluginClient, *wuyepb.Manifest) error) error {
	return nil
}

// lpr is a driver in process: a JSON body {"plate": "..."} is a plate event;
// anything else is InvalidArgument.
type lpr struct {
	wuyepb.DriverClient
	down bool
	got  []*wuyepb.IngestRequest
}

func (d *lpr) Ingest(_ context.Context, in *wuyepb.IngestRequest, _ ...grpc.CallOption) (*wuyepb.IngestResponse, error) {
	d.got = append(d.got, in)
	var p driver.Plate
	if err := json.Unmarshal(in.Body, &p); err != nil || p.Plate == "" {
		return nil, status.Error(codes.InvalidArgument, "not a plate")
	}
	p.V = 1
	b, _ := json.Marshal(p)
	return &wuyepb.IngestResponse{Events: []*wuyepb.DeviceEvent{{DeviceId: in.DeviceId, Type: driver.PlateRecognized, Payload: b}},
		ContentType: "application/json", Body: []byte(`{"Response":"ok"}`)}, nil
}

func (d *lpr) CallDriver(ctx context.Context, _ uuid.UUID, _ string, fn func(context.Context, wuyepb.DriverClient, *wuyepb.Manifest) error) error {
	if d.down {
		return status.Error(codes.Unavailable, "gone")
	}
	return fn(ctx, d, nil)
}

func TestIngress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tA, tB := store.NewID(), store.NewID()
		codes := map[string]uuid.UUID{"alpha": tA, "beta": tB}
		reg := &registry{devs: map[uuid.UUID]stream.Ref{}}
		cam := stream.Ref{ID: store.NewID(), TenantID: tA, Driver: "acme", Class: driver.LPRCamera}
		camB := stream.Ref{ID: store.NewID(), TenantID: tB, Driver: "acme", Class: driver.LPRCamera}
		reg.devs[cam.ID], reg.devs[camB.ID] = cam, camB
		s, err := stream.New(db, reg, dir{}, noPlugins{}, stream.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		drv := &lpr{}
		log := audit.NewLog(db)
		h := ingress.New(ingress.Deps{
			Tenant: func(_ context.Context, code string) (uuid.UUID, error) {
				if id, ok := codes[code]; ok {
					return id, nil
				}
				return uuid.Nil, apperr.NotFound
			},
			Registry: reg, Drivers: drv, Accept: s.Accept, Audit: log,
		})
		srv := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Routes: h.Routes(),
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		post := func(path string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("POST", path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			srv.Handler().ServeHTTP(w, req)
			return w
		}
		base := "/api/v1/ingress/alpha/" + cam.ID.String()
		good := []byte(`{"plate":"粤B12345","confidence":90}`)
		cases := []struct {
			name string
			path string
			body []byte
			hdr  map[string]string
			want int
		}{
			{"bearer", base, good, map[string]string{"Authorization": "Bearer s3cret"}, 200},
			{"basic", base, []byte(`{"plate":"A2"}`), map[string]string{"Authorization": "Basic " + "ZGV2OnMzY3JldA=="}, 200},
			{"header", base, []byte(`{"plate":"A3"}`), map[string]string{"X-Device-Token": "s3cret"}, 200},
			{"query", base + "?token=s3cret", []byte(`{"plate":"A4"}`), nil, 200},
			{"no token", base, good, nil, 401},
			{"wrong token", base, good, map[string]string{"X-Device-Token": "nope"}, 401},
			{"malformed", base + "?token=s3cret", []byte(`garbage`), nil, 400},
			{"other tenant's device", "/api/v1/ingress/alpha/" + camB.ID.String() + "?token=s3cret", good, nil, 404},
			{"unknown tenant", "/api/v1/ingress/gamma/" + cam.ID.String() + "?token=s3cret", good, nil, 404},
			{"too large", base + "?token=s3cret", bytes.Repeat([]byte("x"), ingress.MaxBody+10), nil, 413},
		}
		for _, c := range cases {
			if w := post(c.path, c.body, c.hdr); w.Code != c.want {
				t.Errorf("%s: %d %s, want %d", c.name, w.Code, w.Body, c.want)
			} else if c.want == 200 && w.Body.String() != `{"Response":"ok"}` {
				t.Errorf("%s: answered %s", c.name, w.Body)
			}
		}
		for _, in := range drv.got {
			if in.Query != "" || in.Headers["Authorization"] != "" {
				t.Fatalf("the driver saw the token: %+v", in)
			}
		}
		drv.down = true
		if w := post(base+"?token=s3cret", good, nil); w.Code != 503 {
			t.Errorf("driver down: %d %s", w.Code, w.Body)
		}
		var n int64
		db.InTenant(ctx, tA, func(tx *gorm.DB) error { return tx.Table("device_events").Count(&n).Error })
		if n != 4 {
			t.Errorf("%d events, want 4", n)
		}
		var denied int64
		db.InTenant(ctx, tA, func(tx *gorm.DB) error {
			return tx.Table("audit_log").Where("action LIKE ?", "device.ingress.%").Count(&denied).Error
		})
		if denied != 2 { // no token and wrong token within a second: one entry; malformed: one
			t.Errorf("%d audit entries, want 2", denied)
		}
	})
}
