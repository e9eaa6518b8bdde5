package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Demo publishes realistic access traffic until ctx ends: rate events per
// second on average (Poisson arrivals), mostly residents' cards, then QR
// codes and faces, a few PINs, exit buttons and remote opens; about one in
// twenty is refused. It returns ctx's error, or the first publish error.
func (d *Door) Demo(ctx context.Context, rate float64) error {
	if rate <= 0 {
		rate = 1
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	for {
		wait := time.Duration(r.ExpFloat64() / rate * float64(time.Second))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		ev := demoEvent(r, d.o.Doors)
		if err := d.Publish(&ev); err != nil {
			return err
		}
	}
}

// demoEvent draws one access event.
func demoEvent(r *rand.Rand, doors int) Event {
	ev := Event{Door: 1 + r.IntN(max(doors, 1)), Granted: true, Direction: "in"}
	if r.IntN(2) == 0 {
		ev.Direction = "out"
	}
	switch p := r.IntN(100); {
	case p < 55:
		// IC cards: a small building's few hundred residents
		ev.Method, ev.Credential = "card", fmt.Sprintf("%010d", 3000000000+r.IntN(400)*7919)
	case p < 75:
		ev.Method, ev.Credential = "qr", fmt.Sprintf("QR%016X", r.Uint64())
	case p < 93:
		ev.Method, ev.Credential = "face", fmt.Sprintf("face-%04d", r.IntN(600))
	case p < 96:
		ev.Method, ev.Credential = "password", "******"
	case p < 99:
		ev.Method, ev.Credential, ev.Direction = "button", "", "out"
	default:
		ev.Method, ev.Credential = "remote", "app"
	}
	if ev.Method != "button" && r.IntN(20) == 0 {
		ev.Granted = false
		ev.Reason = []string{"unknown card", "expired", "out of schedule", "blacklisted"}[r.IntN(4)]
		if ev.Method == "qr" {
			ev.Reason = "qr expired"
		}
	}
	return ev
}
