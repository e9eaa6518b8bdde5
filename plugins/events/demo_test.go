package main

import (
	"context"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

// demoConfig is the events entry of tenants/demo.yaml, as the host hands it
// over (YAML is only read here, by the test: the plugin sees JSON).
func demoConfig(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../tenants/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Plugins []struct {
			Name   string
			Config map[string]any
		}
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Plugins {
		if p.Name == "events" {
			return p.Config
		}
	}
	t.Fatal("tenants/demo.yaml has no events plugin")
	return nil
}

func TestDemoDataIsCreatedOnceFromTheTenantManifest(t *testing.T) {
	cfg := demoConfig(t)
	e := start(t, cfg, manyResidents(30))
	var venues struct{ Items []Venue }
	e.DoJSON("GET", "/venues", nil, nil, &venues)
	if len(venues.Items) != 2 {
		t.Fatalf("venues %+v", venues.Items)
	}
	var acts struct{ Items []actView }
	e.DoJSON("GET", "/activities", nil, nil, &acts)
	byKey := map[string]actView{}
	for _, a := range acts.Items {
		byKey[a.ID] = a
	}
	craft, outing, games := byKey["demo-activity-kids-craft"], byKey["demo-activity-weekend-outing"], byKey["demo-activity-spring-games"]
	if craft.State != StateSignupOpen || craft.Confirmed != 8 || craft.BookingID == "" {
		t.Errorf("亲子手工: %+v", craft.Activity)
	}
	if outing.State != StateSignupOpen || outing.FeeFen != 6800 || outing.Confirmed != 3 || len(e.Host.Charges()) != 3 {
		t.Errorf("周末郊游: %+v, %d charges", outing.Activity, len(e.Host.Charges()))
	}
	var at Attendance
	e.DoJSON("GET", "/activities/"+games.ID+"/attendance", nil, nil, &at)
	if games.State != StateDone || at.Confirmed != 24 || at.CheckedIn != 21 {
		t.Errorf("运动会: %s %+v", games.State, at)
	}
	// Starting again (a restart) creates nothing new.
	records := func() int {
		n := 0
		for _, c := range []string{colVenues, colSlots, colBookings, colActivities, colSignups} {
			n += len(e.Host.Records(c))
		}
		return n
	}
	before, notes := records(), len(e.Host.Notifications())
	if err := e.app.seedDemo(context.Background(), e.app.config().Demo); err != nil {
		t.Fatal(err)
	}
	if records() != before || len(e.Host.Notifications()) != notes || len(e.Host.Charges()) != 3 {
		t.Fatalf("second seeding: %d → %d records, %d → %d notifications", before, records(), notes, len(e.Host.Notifications()))
	}
}
