package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/isapi-lpr/sim"
	"github.com/wuye-project/wuye/sdk/driver"
)

// ingress is a stand-in for the host's ingress endpoint: it hands each
// push to the conn, as the core does, and keeps the events.
type ingress struct {
	c       *conn
	mu      sync.Mutex
	events  []driver.Event
	onPlate func(driver.Event)
}

func (in *ingress) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	evs, _, err := in.c.Ingest(r.Context(), driver.Push{Method: r.Method, ContentType: r.Header.Get("Content-Type"), Query: r.URL.RawQuery, Body: body})
	var inv *driver.InvalidError
	if errors.As(err, &inv) {
		http.Error(w, inv.Reason, http.StatusBadRequest)
		return
	} else if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	in.mu.Lock()
	in.events = append(in.events, evs...)
	in.mu.Unlock()
	for _, ev := range evs {
		if in.onPlate != nil && ev.Type == driver.PlateRecognized {
			in.onPlate(ev)
		}
	}
}

func (in *ingress) got() []driver.Event {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]driver.Event(nil), in.events...)
}

func TestSimPushReachesTheDriver(t *testing.T) {
	cam, c, _ := simConn(t, sim.Options{}, map[string]any{}, "")
	in := &ingress{c: c}
	srv := httptest.NewServer(in)
	defer srv.Close()
	url := srv.URL + "/api/v1/ingress/t1/cam-1?token=x"
	ctx := context.Background()
	if err := cam.Push(ctx, url, "粤B·D12345", "enter", sim.PushOptions{Picture: true, Twice: true, UUID: "u-1"}); err != nil {
		t.Fatal(err)
	}
	if err := cam.Push(ctx, url, "粤B·8K3Q2", "exit", sim.PushOptions{Color: "yellow", Lane: 2}); err != nil {
		t.Fatal(err)
	}
	if err := cam.PushRaw(ctx, url, "application/xml", cam.Heartbeat()); err != nil {
		t.Fatal(err)
	}
	if err := cam.PushRaw(ctx, url, "application/json", []byte("{}")); err == nil {
		t.Error("a JSON push was accepted")
	}
	evs := in.got()
	if len(evs) != 3 {
		t.Fatalf("%d events; want 3 (the resend too: the host drops it by key)", len(evs))
	}
	if evs[0].Key != "uuid:u-1" || evs[1].Key != evs[0].Key || evs[0].Picture == nil {
		t.Errorf("keys %q %q, picture %d bytes", evs[0].Key, evs[1].Key, len(evs[0].Picture))
	}
	if p := evs[2].Data.(driver.Plate); p.Plate != "粤B8K3Q2" || p.Direction != "out" || p.Color != "yellow" || p.Lane != 2 {
		t.Errorf("plate %+v", p)
	}
	if ok, failed := cam.Pushed(); ok != 4 || failed != 1 {
		t.Errorf("pushed ok %d failed %d; want 4 and 1", ok, failed)
	}
}

func TestSimDemo(t *testing.T) {
	cam, c, _ := simConn(t, sim.Options{}, map[string]any{}, "")
	in := &ingress{c: c}
	srv := httptest.NewServer(in)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	if err := cam.Demo(ctx, srv.URL, 50); err != nil {
		t.Fatal(err)
	}
	evs := in.got()
	if len(evs) < 5 {
		t.Fatalf("%d events in 600 ms at 50/s", len(evs))
	}
	inside := map[string]bool{}
	for _, ev := range evs {
		p := ev.Data.(driver.Plate)
		if p.Plate == "" || (p.Direction == "in") == inside[p.Plate] {
			t.Errorf("%s %s: entries and exits must alternate per plate", p.Plate, p.Direction)
		}
		inside[p.Plate] = p.Direction == "in"
	}
	if _, failed := cam.Pushed(); failed != 0 {
		t.Errorf("%d pushes failed", failed)
	}
}
