// Command emitter is a test driver: gate.open with {"n": N, "rate": R}
// makes its device emit N door.accessed events at R a second, each stamped
// with its send time (ns, in Reason) so the receiving plugin can time it.
package main

import (
	"context"
	"strconv"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

type conn struct {
	sink driver.Sink
	id   string
}

func (c *conn) Close() error { return nil }

func (c *conn) Execute(_ context.Context, cmd driver.Command) (driver.Result, error) {
	var a struct{ N, Rate int }
	if err := cmd.Decode(&a); err != nil || a.N <= 0 || a.Rate <= 0 {
		return driver.Result{OK: false, Message: "want n and rate"}, nil
	}
	go func() {
		start := time.Now()
		for i := 0; i < a.N; i++ {
			if wait := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(a.Rate))); wait > 0 {
				time.Sleep(wait)
			}
			now := time.Now()
			c.sink.Emit(driver.Event{Type: driver.DoorAccessed, At: now, Key: c.id + "-" + strconv.Itoa(i),
				Data: driver.DoorAccess{Method: "card", Credential: strconv.Itoa(i), Granted: true, Reason: strconv.FormatInt(now.UnixNano(), 10)}})
		}
	}()
	return driver.Result{OK: true}, nil
}

func main() {
	driver.Serve(&driver.Driver{
		Name: "emitter", Version: "1.0.0", TitleEN: "Test emitter", TitleZH: "测试发送器",
		Classes: []string{driver.DoorController}, Commands: []string{driver.GateOpen}, Events: []string{driver.DoorAccessed},
		Open: func(_ context.Context, dev driver.Device, sink driver.Sink) (driver.Conn, error) {
			return &conn{sink: sink, id: dev.ID}, nil
		},
	})
}
