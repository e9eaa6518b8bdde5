package sim

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"
)

// DemoPlates are the demo tenant's registered vehicles (the built-in demo
// residents' plates, core/resident/seed.go).
var DemoPlates = []string{"粤B·D12345", "粤B·8K3Q2", "粤B·F67890"}

// Demo pushes realistic traffic to ingressURL at rate alerts a second
// until ctx ends: the demo residents' cars and random visitors, each
// entering and later leaving, some with pictures. Failed pushes are
// counted (Pushed) and do not stop it.
func (c *Camera) Demo(ctx context.Context, ingressURL string, rate float64) error {
	if rate <= 0 {
		rate = 1
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	inside := map[string]bool{}
	var visitors []string // inside, in arrival order
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		var plate string
		switch r := rng.IntN(10); {
		case r < 4:
			plate = DemoPlates[rng.IntN(len(DemoPlates))]
		case r < 7 && len(visitors) > 0:
			plate, visitors = visitors[0], visitors[1:] // the longest-staying visitor leaves
		default:
			plate = randomPlate(rng)
			visitors = append(visitors, plate)
		}
		dir := "enter"
		if inside[plate] {
			dir = "exit"
		}
		inside[plate] = !inside[plate]
		o := PushOptions{Picture: rng.IntN(2) == 0, Confidence: 85 + rng.IntN(15)}
		if rng.IntN(8) == 0 {
			o.Color = "green" // a new-energy car
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = c.Push(pctx, ingressURL, plate, dir, o)
		cancel()
	}
}

// randomPlate makes a plausible civil plate: a province, a city letter and
// five letters or digits (no I or O).
func randomPlate(rng *rand.Rand) string {
	provinces := []string{"粤", "粤", "粤", "湘", "赣", "桂", "闽", "京", "沪"}
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	const chars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	var b strings.Builder
	b.WriteString(provinces[rng.IntN(len(provinces))])
	b.WriteByte(letters[rng.IntN(8)])
	b.WriteString("·")
	for range 5 {
		b.WriteByte(chars[rng.IntN(len(chars))])
	}
	return b.String()
}
