package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/examples/driver/sim"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// gate is a barrier on relay 2 of the board at url.
func gate(id, url string) testkit.Device {
	return testkit.Device{ID: id, Name: "东门道闸", Class: driver.BarrierGate,
		Location: driver.Location{Place: "东门", Direction: "in"},
		Config:   map[string]any{"url": url, "relay": 2, "pulse_ms": 300},
		Secrets:  map[string]string{"token": "s3cret"}}
}

func startBoard(t *testing.T) (*sim.Board, *httptest.Server) {
	b := sim.NewBoard("s3cret")
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { b.Stall(false) })
	return b, srv
}

func TestGateOpenPulsesTheRelay(t *testing.T) {
	board, srv := startBoard(t)
	h := testkit.StartDriver(t, New(), gate("gate-1", srv.URL))
	h.WaitStatus("gate-1", driver.StatusOnline, 2*time.Second)

	res, err := h.Execute("gate-1", driver.GateOpen, map[string]string{"reason": "visitor"})
	if err != nil || !res.Ok {
		t.Fatalf("gate.open: %v %v", res, err)
	}
	p := board.Pulses()
	if len(p) != 1 || p[0].Relay != 2 || p[0].Ms != 300 || p[0].RequestID == "" {
		t.Fatalf("pulses %+v", p)
	}

	board.SetJammed(true)
	res, err = h.Execute("gate-1", driver.GateOpen, nil)
	if err != nil || res.Ok || res.Message == "" {
		t.Errorf("jammed: %v %v; want ok false with a message", res, err)
	}
}

func TestAStalledBoardIsDeadlineExceeded(t *testing.T) {
	board, srv := startBoard(t)
	h := testkit.StartDriver(t, New(), gate("gate-1", srv.URL))
	board.Stall(true)
	start := time.Now()
	_, err := h.ExecuteWithin("gate-1", driver.GateOpen, nil, 200*time.Millisecond)
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("stalled: %v, want DeadlineExceeded", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v", took)
	}
}

func TestUnreachableBoardIsOfflineAndUnavailable(t *testing.T) {
	_, srv := startBoard(t)
	url := srv.URL
	srv.Close() // nothing listens there any more
	h := testkit.StartDriver(t, New(), gate("gate-1", url))
	h.WaitStatus("gate-1", driver.StatusOffline, 2*time.Second)
	if _, err := h.Execute("gate-1", driver.GateOpen, nil); status.Code(err) != codes.Unavailable {
		t.Errorf("unreachable: %v, want Unavailable", err)
	}
}

func TestBadConfigIsRefused(t *testing.T) {
	_, srv := startBoard(t)
	h := testkit.StartDriver(t, New())
	bad := gate("gate-1", "ftp://example")
	if err := h.AddDevice(bad); status.Code(err) != codes.InvalidArgument {
		t.Errorf("ftp url: %v, want InvalidArgument", err)
	}
	noToken := gate("gate-2", srv.URL)
	noToken.Secrets = nil
	if err := h.AddDevice(noToken); status.Code(err) != codes.InvalidArgument {
		t.Errorf("no token: %v, want InvalidArgument", err)
	}
	h.WaitStatus("gate-2", driver.StatusFault, time.Second)
}

// TestCardReadsReachTheHost runs the whole push path: the board posts to
// an ingress endpoint (here a stand-in for the host's), which hands the
// request to the driver and answers the board with the driver's reply.
func TestCardReadsReachTheHost(t *testing.T) {
	board, srv := startBoard(t)
	h := testkit.StartDriver(t, New(), gate("gate-1", srv.URL))
	var got []driver.DoorAccess
	ingress := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		evs, reply, err := h.Ingest("gate-1", r.Header.Get("Content-Type"), body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, ev := range evs {
			var a driver.DoorAccess
			if ev.Type != driver.DoorAccessed || json.Unmarshal(ev.Payload, &a) != nil || a.V != driver.PayloadVersion {
				t.Errorf("event %s %s", ev.Type, ev.Payload)
			}
			got = append(got, a)
		}
		w.Header().Set("Content-Type", reply.ContentType)
		w.WriteHeader(reply.Status)
		_, _ = w.Write(reply.Body)
	}))
	defer ingress.Close()

	ctx := context.Background()
	ack, err := board.Push(ctx, ingress.URL, sim.Read{Type: "card", Input: 1, Card: "0012345678", Granted: true})
	if err != nil || ack != 1 {
		t.Fatalf("push: ack %d, %v", ack, err)
	}
	if _, err := board.Push(ctx, ingress.URL, sim.Read{Type: "button", Input: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := board.Push(ctx, ingress.URL, sim.Read{Type: "heartbeat"}); err != nil {
		t.Fatal(err) // acknowledged, no event
	}
	if len(got) != 2 || got[0].Method != "card" || got[0].Credential != "0012345678" || !got[0].Granted ||
		got[0].Door != "1" || got[1].Method != "button" {
		t.Fatalf("accesses %+v", got)
	}

	if _, _, err := h.Ingest("gate-1", "application/json", []byte("<xml/>")); status.Code(err) != codes.InvalidArgument {
		t.Errorf("garbage: %v, want InvalidArgument", err)
	}
}

// TestTheBoardGoingDownIsReported: Health checks every board.
func TestTheBoardGoingDownIsReported(t *testing.T) {
	board, srv := startBoard(t)
	h := testkit.StartDriver(t, New(), gate("gate-1", srv.URL))
	h.WaitStatus("gate-1", driver.StatusOnline, 2*time.Second)
	board.SetDown(true)
	if hr, err := h.Health(); err != nil || !hr.Ok {
		t.Fatalf("health %v %v", hr, err)
	}
	h.WaitStatus("gate-1", driver.StatusOffline, time.Second)
}
