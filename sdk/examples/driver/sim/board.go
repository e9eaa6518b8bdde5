// Package sim simulates the ACME relay board the example driver speaks to,
// so the driver is tested against the protocol rather than against mocks
// of its own code. A Board is an http.Handler: serve it with httptest.
//
// The board's protocol (made up for the walk-through, shaped like real
// relay boards):
//
//	GET  /api/status               → 200 {"serial": "AR-0001", "relays": [false, ...]}
//	POST /api/relay/{n}/pulse      {"ms": 500} → 200 {"ok": true} | 409 {"ok": false, "error": "jammed"}
//	POST /api/relay/{n}/off        → 200 {"ok": true}
//
// Every call carries "Authorization: Bearer <token>" (401 otherwise) and a
// command may carry "X-Request-Id": a repeated id is acknowledged without
// pulsing again. The board pushes what its inputs read (a card reader, an
// exit button) as JSON to a URL — the host's ingress endpoint:
//
//	POST <url> {"seq": 17, "type": "card", "input": 1, "card": "0012345678", "granted": true, "ts": 1700000000}
//	→ 200 {"ack": 17}
package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Relays is how many relays a board has.
const Relays = 4

// Pulse is one relay pulse the board made.
type Pulse struct {
	Relay     int
	Ms        int
	RequestID string
}

// Board is one simulated relay board.
type Board struct {
	Token  string
	Serial string

	mu     sync.Mutex
	relays [Relays]bool
	pulses []Pulse
	seen   map[string]bool
	jammed bool
	stall  chan struct{} // non-nil: commands hang until it closes
	down   bool
	seq    int
}

// NewBoard makes a board that accepts token.
func NewBoard(token string) *Board {
	return &Board{Token: token, Serial: "AR-0001", seen: map[string]bool{}}
}

// Pulses are the pulses made so far.
func (b *Board) Pulses() []Pulse {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Pulse(nil), b.pulses...)
}

// SetJammed makes pulses fail as a jammed barrier does (409).
func (b *Board) SetJammed(on bool) { b.mu.Lock(); b.jammed = on; b.mu.Unlock() }

// SetDown makes the board answer 503 to everything (powered but broken).
func (b *Board) SetDown(on bool) { b.mu.Lock(); b.down = on; b.mu.Unlock() }

// Stall makes commands hang without an answer until Stall(false).
func (b *Board) Stall(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case on && b.stall == nil:
		b.stall = make(chan struct{})
	case !on && b.stall != nil:
		close(b.stall)
		b.stall = nil
	}
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP implements the board's API.
func (b *Board) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	down, stall := b.down, b.stall
	b.mu.Unlock()
	if down {
		reply(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "error": "fault"})
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+b.Token {
		reply(w, http.StatusUnauthorized, map[string]any{"ok": false, "error": "token"})
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/api/status" {
		b.mu.Lock()
		relays := b.relays
		b.mu.Unlock()
		reply(w, http.StatusOK, map[string]any{"serial": b.Serial, "relays": relays})
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // api relay n verb
	if r.Method != http.MethodPost || len(parts) != 4 || parts[0] != "api" || parts[1] != "relay" {
		reply(w, http.StatusNotFound, map[string]any{"ok": false, "error": "no such endpoint"})
		return
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil || n < 1 || n > Relays {
		reply(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "relay"})
		return
	}
	if stall != nil {
		select {
		case <-stall:
		case <-r.Context().Done():
			return
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch parts[3] {
	case "pulse":
		var in struct {
			Ms int `json:"ms"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Ms < 100 || in.Ms > 5000 {
			reply(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "ms"})
			return
		}
		id := r.Header.Get("X-Request-Id")
		if id != "" && b.seen[id] {
			reply(w, http.StatusOK, map[string]any{"ok": true, "repeat": true})
			return
		}
		if b.jammed {
			reply(w, http.StatusConflict, map[string]any{"ok": false, "error": "jammed"})
			return
		}
		if id != "" {
			b.seen[id] = true
		}
		b.pulses = append(b.pulses, Pulse{Relay: n, Ms: in.Ms, RequestID: id})
		reply(w, http.StatusOK, map[string]any{"ok": true})
	case "off":
		b.relays[n-1] = false
		reply(w, http.StatusOK, map[string]any{"ok": true})
	default:
		reply(w, http.StatusNotFound, map[string]any{"ok": false, "error": "no such endpoint"})
	}
}

// Read is what one of the board's inputs read.
type Read struct {
	Seq     int    `json:"seq"`
	Type    string `json:"type"` // card, button
	Input   int    `json:"input"`
	Card    string `json:"card,omitempty"`
	Granted bool   `json:"granted"`
	TS      int64  `json:"ts"` // unix seconds, board clock
}

// Push sends a read to url as the board does and returns the sequence
// number the receiver acknowledged.
func (b *Board) Push(ctx context.Context, url string, rd Read) (int, error) {
	b.mu.Lock()
	b.seq++
	rd.Seq = b.seq
	b.mu.Unlock()
	if rd.TS == 0 {
		rd.TS = time.Now().Unix()
	}
	body, _ := json.Marshal(rd)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var ack struct {
		Ack int `json:"ack"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("push: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&ack); err != nil {
		return 0, fmt.Errorf("push: the reply is not an ack: %v", err)
	}
	return ack.Ack, nil
}
