package main

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/isapi-lpr/sim"
	"github.com/wuye-project/wuye/sdk/driver"
)

func BenchmarkIngestXML(b *testing.B) {
	c, _ := pushConn(b, "in")
	body := fixture(b, "anpr_v20.xml")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, _, err := c.Ingest(context.Background(), driver.Push{Method: "POST", ContentType: "application/xml", Body: body}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIngestMultipart(b *testing.B) {
	cam, err := sim.New(sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer cam.Close()
	c, _ := pushConn(b, "in")
	ct, body := multipartAlert(b, fixture(b, "anpr_v20.xml"), map[string][]byte{"licensePlatePicture.jpg": cam.Snapshot(), "detectionPicture.jpg": cam.Snapshot()})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, _, err := c.Ingest(context.Background(), driver.Push{Method: "POST", ContentType: ct, Body: body}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGateOpen: one gate.open on the simulated camera over HTTP with
// digest auth (the challenge kept from the first call).
func BenchmarkGateOpen(b *testing.B) {
	_, c, _ := simConn(b, sim.Options{Username: "admin", Password: "pw"}, map[string]any{"username": "admin"}, "pw")
	for b.Loop() {
		if res, err := c.Execute(context.Background(), driver.Command{Name: driver.GateOpen}); err != nil || !res.OK {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkPlateToGate: the camera pushes a plate (multipart with
// pictures), the driver reads it, and on the plate the gate opens; the time
// is from the camera's push to the barrier moving. The host's work between
// (storing, dispatching, the parking decision) is not in it.
func BenchmarkPlateToGate(b *testing.B) {
	gates := make(chan time.Time, 1)
	cam, c, _ := simConn(b, sim.Options{Username: "admin", Password: "pw", OnGate: func(_ string, at time.Time) { gates <- at }},
		map[string]any{"username": "admin"}, "pw")
	in := &ingress{c: c, onPlate: func(driver.Event) {
		if res, err := c.Execute(context.Background(), driver.Command{Name: driver.GateOpen}); err != nil || !res.OK {
			b.Error(res, err)
		}
	}}
	srv := httptest.NewServer(in)
	defer srv.Close()
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		if err := cam.Push(context.Background(), srv.URL, "粤B·D12345", "enter", sim.PushOptions{Picture: true}); err != nil {
			b.Fatal(err)
		}
		total += (<-gates).Sub(start)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/plate→gate")
}
