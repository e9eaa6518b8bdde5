package main

import (
	"context"
	"fmt"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// points are the lift's data points; service_mode is the one written.
var points = []*wuyepb.PointSpec{
	{Name: "floor", Type: "int", Description: "floor the car is at or last passed; basements negative"},
	{Name: "direction", Type: "string", Description: "up, down, idle"},
	{Name: "door", Type: "string", Description: "closed, opening, open, closing"},
	{Name: "running", Type: "bool", Description: "the car is moving"},
	{Name: "load_percent", Type: "int", Unit: "%", Description: "load as a share of the rated load"},
	{Name: "fault_code", Type: "int", Description: "0: none; see the driver's fault table"},
	{Name: "alarm", Type: "bool", Description: "alarm button pressed"},
	{Name: "level", Type: "bool", Description: "the car is level with a landing (door zone)"},
	{Name: "heartbeat", Type: "int", Description: "the box's counter, one a second"},
	{Name: "service_mode", Type: "bool", Writable: true, Description: "out of service: the lift answers no calls"},
}

// ReadPoints implements driver.PointReader: it reads the box now.
func (c *conn) ReadPoints(ctx context.Context, names []string) ([]driver.Point, error) {
	for _, n := range names {
		if !known(n) {
			return nil, driver.Invalid(fmt.Sprintf("unknown point %q", n))
		}
	}
	var (
		st  state
		err error
	)
	done := make(chan struct{})
	go func() { st, err = c.poll(); close(done) }()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-done:
	}
	if err != nil {
		return nil, err
	}
	at := time.Now()
	all := map[string]any{
		"floor": st.Floor, "direction": st.Direction, "door": st.Door, "running": st.Running,
		"load_percent": st.Load, "fault_code": st.Fault, "alarm": st.Alarm, "level": st.Level,
		"heartbeat": st.Heartbeat, "service_mode": st.Service,
	}
	if len(names) == 0 {
		for _, p := range points {
			names = append(names, p.Name)
		}
	}
	out := make([]driver.Point, 0, len(names))
	for _, n := range names {
		out = append(out, driver.Point{Name: n, Value: all[n], At: at})
	}
	return out, nil
}

// WritePoints implements driver.PointWriter: only service_mode is
// writable, with a boolean (or 0/1).
func (c *conn) WritePoints(ctx context.Context, pts []driver.Point) error {
	var regs []uint16
	for _, p := range pts {
		if !known(p.Name) {
			return driver.Invalid(fmt.Sprintf("unknown point %q", p.Name))
		}
		if p.Name != "service_mode" {
			return driver.Invalid(fmt.Sprintf("point %q is read-only", p.Name))
		}
		switch v := p.Value.(type) {
		case bool:
			regs = append(regs, b2u(v))
		case float64: // JSON numbers
			if v != 0 && v != 1 {
				return driver.Invalid("service_mode is true or false")
			}
			regs = append(regs, uint16(v))
		default:
			return driver.Invalid("service_mode is true or false")
		}
	}
	for _, v := range regs {
		errc := make(chan error, 1)
		go func() { errc <- c.write(c.set.base+regServiceMode, v) }()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errc:
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func known(name string) bool {
	for _, p := range points {
		if p.Name == name {
			return true
		}
	}
	return false
}

func b2u(b bool) uint16 {
	if b {
		return 1
	}
	return 0
}
