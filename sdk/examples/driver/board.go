package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

// board is one open relay board (the driver's Conn). It executes gate.open
// (Executor), reads the board's pushes (Ingester) and answers Health
// (Checker).
type board struct {
	cfg   config
	token string
	sink  driver.Sink
	http  *http.Client

	stop     chan struct{}
	stopOnce sync.Once
}

// Close stops the status goroutine.
func (b *board) Close() error {
	b.stopOnce.Do(func() { close(b.stop) })
	return nil
}

func (b *board) watch(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b.report(b.Check(ctx))
		cancel()
		select {
		case <-t.C:
		case <-b.stop:
			return
		}
	}
}

// report tells the host what a check found; the Sink sends only changes.
func (b *board) report(err error) {
	if err != nil {
		b.sink.Status(driver.StatusOffline, err.Error())
		return
	}
	b.sink.Status(driver.StatusOnline, "")
}

// call makes one request to the board and decodes its JSON answer.
func (b *board) call(ctx context.Context, method, path string, body any, requestID string, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		buf, _ := json.Marshal(body)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.cfg.URL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("%w: %v", driver.ErrNoAck, ctx.Err())
		}
		return 0, fmt.Errorf("%w: %v", driver.ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("the board answered %s without JSON", resp.Status)
	}
	return resp.StatusCode, nil
}

// Check asks the board for its status.
func (b *board) Check(ctx context.Context) error {
	var st struct {
		Serial string `json:"serial"`
	}
	code, err := b.call(ctx, http.MethodGet, "/api/status", nil, "", &st)
	switch {
	case err != nil:
		return err
	case code != http.StatusOK:
		return fmt.Errorf("%w: the board answered %d", driver.ErrUnreachable, code)
	}
	return nil
}

// Execute pulses the barrier's relay for gate.open. The request id goes
// to the board, which does not pulse twice for a retry.
func (b *board) Execute(ctx context.Context, cmd driver.Command) (driver.Result, error) {
	if cmd.Name != driver.GateOpen {
		return driver.Result{}, driver.ErrUnsupported
	}
	var args struct {
		Reason string `json:"reason"`
	}
	if err := cmd.Decode(&args); err != nil {
		return driver.Result{}, driver.Invalid("gate.open args: " + err.Error())
	}
	var out struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	code, err := b.call(ctx, http.MethodPost, "/api/relay/"+strconv.Itoa(b.cfg.Relay)+"/pulse",
		map[string]int{"ms": b.cfg.PulseMs}, cmd.RequestID, &out)
	switch {
	case err != nil:
		return driver.Result{}, err
	case code == http.StatusUnauthorized:
		b.sink.Status(driver.StatusFault, "the board refused the token")
		return driver.Result{}, errors.New("the board refused the token")
	case code == http.StatusConflict:
		return driver.Result{OK: false, Message: "the barrier is jammed (" + out.Error + ")"}, nil
	case code != http.StatusOK || !out.OK:
		return driver.Result{}, fmt.Errorf("%w: the board answered %d %s", driver.ErrUnreachable, code, out.Error)
	}
	return driver.Result{OK: true}, nil
}

// read is one push of the board (see sim.Read).
type read struct {
	Seq     *int   `json:"seq"`
	Type    string `json:"type"`
	Input   int    `json:"input"`
	Card    string `json:"card"`
	Granted bool   `json:"granted"`
	TS      int64  `json:"ts"`
}

// Ingest reads one push: a card read or a button press becomes
// door.accessed. The board's time and sequence number are the
// de-duplication key, so a push the board repeats (it did not get our ack)
// is stored once, and a board whose count restarted after a reboot is not
// taken for a repeat.
func (b *board) Ingest(_ context.Context, p driver.Push) ([]driver.Event, *driver.Reply, error) {
	var rd read
	if err := json.Unmarshal(p.Body, &rd); err != nil {
		return nil, nil, driver.Invalid("the push is not the board's JSON")
	}
	if rd.Seq == nil {
		return nil, nil, driver.Invalid("the push has no seq")
	}
	ack, _ := json.Marshal(map[string]int{"ack": *rd.Seq})
	reply := &driver.Reply{Status: http.StatusOK, ContentType: "application/json", Body: ack}
	access := driver.DoorAccess{Door: strconv.Itoa(rd.Input), Granted: rd.Granted}
	switch rd.Type {
	case "card":
		if rd.Card == "" {
			return nil, nil, driver.Invalid("a card read without a card number")
		}
		access.Method, access.Credential = "card", rd.Card
		if !rd.Granted {
			access.Reason = "card not enrolled on the board"
		}
	case "button":
		access.Method, access.Granted = "button", true
	default:
		return nil, reply, nil // other inputs (heartbeats) carry no event; still acknowledged
	}
	ev := driver.Event{Type: driver.DoorAccessed, Key: fmt.Sprintf("%d-%d", rd.TS, *rd.Seq), Data: access}
	if rd.TS > 0 {
		ev.At = time.Unix(rd.TS, 0)
	}
	return []driver.Event{ev}, reply, nil
}
