package main

import (
	"context"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/mqtt-door/sim"
	"github.com/wuye-project/wuye/sdk/driver"
)

// The broker restarts (an embedded one, so the test can stop it): devices
// go offline, and after the reconnect the driver subscribes again and
// events and commands flow.
func TestBrokerRestart(t *testing.T) {
	t.Parallel()
	b, err := sim.Broker("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	t.Cleanup(func() { _ = b.Close() })
	door := newDoor(t, sim.Options{Broker: addr, Serial: "R1"})
	c, sink := openConn(t, device(t, "dev-r", driver.DoorController, map[string]any{"broker": addr, "serial": "R1"}))
	sink.WaitStatus(t, driver.StatusOnline, 5*time.Second)

	_ = b.Close()
	sink.WaitStatus(t, driver.StatusOffline, 5*time.Second)
	if err := c.Check(context.Background()); err == nil {
		t.Fatal("check passes with the broker down")
	}
	if _, err := c.Execute(context.Background(), driver.Command{Name: driver.DoorOpen, RequestID: "down"}); err == nil {
		t.Fatal("execute succeeded with the broker down")
	}

	b2, err := sim.Broker(addr) // same port, empty state: no retained status, no subscriptions
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b2.Close() })
	eventually(t, 15*time.Second, "driver and controller reconnected", func() bool {
		return c.Check(context.Background()) == nil && door.Connected()
	})
	n := len(sink.Statuses())
	eventually(t, 5*time.Second, "online again", func() bool {
		st := sink.Statuses()
		return len(st) > n-1 && st[len(st)-1] == driver.StatusOnline
	})

	// The controller may resubscribe a moment after the driver: retry the
	// first event until the driver's subscription is back.
	eventually(t, 10*time.Second, "an event after the restart", func() bool {
		if _, err := door.Swipe("card", "3000000001", true); err != nil {
			return false
		}
		time.Sleep(100 * time.Millisecond)
		return len(sink.Events()) > 0
	})
	eventually(t, 10*time.Second, "a command after the restart", func() bool {
		res, err := c.Execute(context.Background(), driver.Command{Name: driver.DoorOpen, RequestID: "after"})
		return err == nil && res.OK
	})
}
