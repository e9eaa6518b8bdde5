package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/onvif-camera/sim"
	"github.com/wuye-project/wuye/sdk/driver"
)

func TestAlarmsReachTheSinkAndCloseUnsubscribes(t *testing.T) {
	t.Run("by address", func(t *testing.T) { alarmsAndClose(t, sim.Options{}) })
	// Subscriptions told apart by a reference parameter echoed as a header.
	t.Run("by reference parameter", func(t *testing.T) { alarmsAndClose(t, sim.Options{ReferenceParameters: true}) })
}

func alarmsAndClose(t *testing.T, o sim.Options) {
	fast(t)
	cam := startCam(t, o)
	c, s := openCam(t, device(cam, "s3cret!", nil))
	s.waitStatus(t, driver.StatusOnline, 0, 5*time.Second)
	eventually(t, "subscribed", func() bool { return cam.Stats().Subscriptions == 1 })

	for kind, region := range map[string]string{sim.Motion: "MyMotionDetectorRule", sim.Smoke: "", sim.Intrusion: "Field1", sim.Tamper: ""} {
		if err := cam.Alarm(kind, true); err != nil {
			t.Fatal(err)
		}
		a := alarm(t, s)
		if a.Kind != kind || !a.Active || a.Channel != "VideoSource_1" || a.Region != region {
			t.Errorf("%s: got %+v", kind, a)
		}
	}
	_ = cam.Alarm(sim.Motion, false)
	if a := alarm(t, s); a.Kind != "motion" || a.Active {
		t.Errorf("motion end: got %+v", a)
	}

	_ = c.Close()
	if st := cam.Stats(); st.Unsubscribed != 1 || st.Subscriptions != 0 {
		t.Errorf("after Close: %+v", st)
	}
}

func TestRenewsBeforeTermination(t *testing.T) {
	fast(t)
	cam := startCam(t, sim.Options{MaxTTL: 3 * time.Second})
	_, s := openCam(t, device(cam, "s3cret!", nil))
	eventually(t, "two renewals", func() bool { return cam.Stats().Renewed >= 2 })
	_ = cam.Alarm(sim.Motion, true)
	alarm(t, s)
	if st := cam.Stats(); st.Created != 1 {
		t.Errorf("the subscription was lost and created again: %+v", st)
	}
}

func TestLostSubscriptionIsCreatedAgain(t *testing.T) {
	fast(t)
	cam := startCam(t, sim.Options{})
	_, s := openCam(t, device(cam, "s3cret!", nil))
	eventually(t, "subscribed", func() bool { return cam.Stats().Subscriptions == 1 })

	cam.ExpireSubscriptions()
	eventually(t, "subscribed again after expiry", func() bool { st := cam.Stats(); return st.Created == 2 && st.Subscriptions == 1 })
	_ = cam.Alarm(sim.Intrusion, true)
	if a := alarm(t, s); a.Kind != "intrusion" {
		t.Errorf("got %+v", a)
	}

	cam.Restart()
	eventually(t, "subscribed again after restart", func() bool { st := cam.Stats(); return st.Created == 3 && st.Subscriptions == 1 })
	// The intrusion still holds: the new subscription starts with it
	// (Initialized), the same occurrence or a new one by its time.
	_ = cam.Alarm(sim.Intrusion, false)
	for {
		if a := alarm(t, s); !a.Active {
			break
		}
	}
	if got := s.Events(); len(got) != 0 {
		t.Errorf("unexpected events: %+v", got)
	}
}

func TestBadPasswordIsAFaultWithAClearDetail(t *testing.T) {
	fast(t)
	cam := startCam(t, sim.Options{})
	_, s := openCam(t, device(cam, "wrong", nil))
	_, detail := s.waitStatus(t, driver.StatusFault, 0, 5*time.Second)
	if !strings.Contains(detail, "authentication failed") || !strings.Contains(detail, "NotAuthorized") {
		t.Errorf("detail: %q", detail)
	}
	if cam.Stats().Subscriptions != 0 {
		t.Error("subscribed with a wrong password")
	}
}

func TestClockSkewIsCorrected(t *testing.T) {
	fast(t)
	cam := startCam(t, sim.Options{ClockSkew: -3 * time.Hour})
	_, s := openCam(t, device(cam, "s3cret!", nil))
	s.waitStatus(t, driver.StatusOnline, 0, 5*time.Second)
	_ = cam.Alarm(sim.Tamper, true)
	if a := alarm(t, s); a.Kind != "tamper" {
		t.Errorf("got %+v", a)
	}
}

func TestPullFailuresGoOfflineAndBack(t *testing.T) {
	fast(t)
	cam := startCam(t, sim.Options{})
	_, s := openCam(t, device(cam, "s3cret!", nil))
	i, _ := s.waitStatus(t, driver.StatusOnline, 0, 5*time.Second)
	for _, mode := range []string{sim.BreakGarbage, sim.BreakHTTP, sim.BreakHuge} {
		cam.Break(mode)
		var detail string
		i, detail = s.waitStatus(t, driver.StatusOffline, i, 10*time.Second)
		t.Logf("%s: %s", mode, detail)
		cam.Break(sim.BreakNone)
		i, _ = s.waitStatus(t, driver.StatusOnline, i, 10*time.Second)
	}
	_ = cam.Alarm(sim.Motion, true)
	alarm(t, s)
}

func TestUnreachableCameraGoesOffline(t *testing.T) {
	fast(t)
	cam := startCam(t, sim.Options{})
	dev := device(cam, "s3cret!", nil)
	_ = cam.Close()
	_, s := openCam(t, dev)
	_, detail := s.waitStatus(t, driver.StatusOffline, 0, 5*time.Second)
	if !strings.Contains(detail, "cannot be reached") {
		t.Errorf("detail: %q", detail)
	}
}

func TestAlarmOf(t *testing.T) {
	n := notification{Topic: "tns1:VideoSource/MotionAlarm"}
	n.Message.Message.UtcTime = "2026-11-30T04:00:00Z"
	n.Message.Message.Operation = "Changed"
	n.Message.Message.Source = []simpleItem{{"Source", "VS2"}}
	n.Message.Message.Data = []simpleItem{{"State", "true"}}
	ev, ok := alarmOf(n, "1")
	if a := ev.Data.(driver.Alarm); !ok || a.Kind != "motion" || a.Channel != "VS2" || !a.Active {
		t.Fatalf("got %+v %v", ev, ok)
	}
	n.Message.Message.Source = nil
	if ev, _ := alarmOf(n, "7"); ev.Data.(driver.Alarm).Channel != "7" {
		t.Errorf("default channel not used: %+v", ev)
	}
	for topic, kind := range map[string]string{
		"tns1:RuleEngine/CellMotionDetector/Motion":    "motion",
		"tt:RuleEngine/FieldDetector/ObjectsInside":    "intrusion",
		"tns1:VideoSource/GlobalSceneChange/ImagingSv": "tamper",
		"tns1:Device/Trigger/SmokeDetector":            "smoke",
		"tns1:Device/Trigger/DigitalInput":             "",
		"tns1:Monitoring/ProcessorUsage":               "",
	} {
		if got := alarmKind(topic); got != kind {
			t.Errorf("%s: %q, want %q", topic, got, kind)
		}
	}
	n.Message.Message.Operation = "Initialized"
	n.Message.Message.Data = []simpleItem{{"State", "false"}}
	if _, ok := alarmOf(n, ""); ok {
		t.Error("an inactive Initialized state was reported")
	}
	n.Message.Message.Data = []simpleItem{{"Other", "x"}}
	if _, ok := alarmOf(n, ""); ok {
		t.Error("a message without a state was reported")
	}
}

func TestRepeatsAreDropped(t *testing.T) {
	r := newRecent(2)
	if !r.add("a") || r.add("a") || !r.add("b") || !r.add("c") || !r.add("a") {
		t.Error("recent keys wrong")
	}
}

func TestAlarmSnapshot(t *testing.T) {
	fast(t)
	cam := startCam(t, sim.Options{})
	_, s := openCam(t, device(cam, "s3cret!", map[string]any{"alarm_snapshot": true}))
	eventually(t, "subscribed", func() bool { return cam.Stats().Subscriptions == 1 })
	_ = cam.Alarm(sim.Motion, true)
	ev := s.Wait(t, driver.CameraAlarm, 5*time.Second)
	if !bytes.Equal(ev.Picture, sim.Picture()) || ev.PictureType != "image/jpeg" {
		t.Errorf("picture: %d bytes of %q", len(ev.Picture), ev.PictureType)
	}
	_ = cam.Alarm(sim.Motion, false)
	if ev := s.Wait(t, driver.CameraAlarm, 5*time.Second); ev.Picture != nil {
		t.Error("a picture with the alarm's end")
	}
}
