package sim

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

func TestDemoTrafficLooksReal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	count := map[string]int{}
	refused := 0
	for range 10000 {
		ev := demoEvent(r, 2)
		count[ev.Method]++
		if !ev.Granted {
			refused++
			if ev.Reason == "" {
				t.Fatalf("refused without a reason: %+v", ev)
			}
		}
		if ev.Door < 1 || ev.Door > 2 || (ev.Direction != "in" && ev.Direction != "out") {
			t.Fatalf("%+v", ev)
		}
	}
	if count["card"] < 5000 || count["qr"] < 1500 || count["face"] < 1500 || count["remote"] == 0 || refused < 300 || refused > 700 {
		t.Fatalf("mix %v, refused %d", count, refused)
	}
}

// The simulator on its embedded broker: status retained, commands acked
// once per id, Demo publishing.
func TestDoorOnEmbeddedBroker(t *testing.T) {
	srv, err := Broker("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := NewDoor(Options{Broker: srv.Addr(), Serial: "a/b"}); err == nil {
		t.Fatal("a serial with a slash was accepted")
	}
	d, err := NewDoor(Options{Broker: srv.Addr(), Serial: "S1"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	var mu sync.Mutex
	got := map[string][]string{}
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker("tcp://" + srv.Addr()).SetClientID("watcher"))
	if tok := c.Connect(); !tok.WaitTimeout(3*time.Second) || tok.Error() != nil {
		t.Fatal("watcher did not connect")
	}
	defer c.Disconnect(0)
	c.Subscribe(DefaultPrefix+"/S1/+", 1, func(_ mqtt.Client, m mqtt.Message) {
		mu.Lock()
		got[m.Topic()] = append(got[m.Topic()], string(m.Payload()))
		mu.Unlock()
	}).WaitTimeout(3 * time.Second)
	seen := func(topic string, n int) bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got[topic]) >= n
	}
	wait := func(topic string, n int) {
		t.Helper()
		for deadline := time.Now().Add(3 * time.Second); !seen(topic, n); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d messages on %s not seen: %v", n, topic, got)
			}
		}
	}
	wait(d.Topic("status"), 1) // retained "online"

	cmd, _ := json.Marshal(Command{ID: "x1", Cmd: "open", Door: 1, DurationS: 5})
	for range 2 {
		c.Publish(d.Topic("cmd"), 1, false, cmd).WaitTimeout(time.Second)
	}
	wait(d.Topic("ack"), 2)
	if d.Executed() != 1 || len(d.Commands()) != 2 || !d.Commands()[1].Repeat {
		t.Fatalf("executed %d, commands %+v", d.Executed(), d.Commands())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := d.Demo(ctx, 40); err != context.DeadlineExceeded {
		t.Fatalf("demo: %v", err)
	}
	wait(d.Topic("event"), 5)

	mu.Lock()
	n := len(got[d.Topic("status")])
	mu.Unlock()
	d.Kill()
	wait(d.Topic("status"), n+1)
	mu.Lock()
	last := got[d.Topic("status")][n]
	mu.Unlock()
	if last != "offline" {
		t.Fatalf("last will %q", last)
	}
}
