package main

import "testing"

func TestDirection(t *testing.T) {
	cases := []struct{ camera, gate, want string }{
		{"enter", "", "in"}, {"exit", "in", "out"}, {"Enter", "out", "in"},
		{"forward", "", "in"}, {"reverse", "", "out"},
		{"forward", "out", "out"}, {"reverse", "out", "in"}, {"forward", "in", "in"},
		{"", "out", "out"}, {"unknown", "in", "in"}, {"", "", "unknown"}, {"", "sideways", "unknown"},
	}
	for _, c := range cases {
		if got := direction(c.camera, c.gate); got != c.want {
			t.Errorf("direction(%q, gate %q) = %q; want %q", c.camera, c.gate, got, c.want)
		}
	}
}

func TestFieldMapping(t *testing.T) {
	for in, want := range map[string]int{"97": 97, "0.91": 91, "1.0": 100, "97.6": 97, "-3": 0, "180": 100, "": 0, "high": 0, "NaN": 0} {
		if got := confidence(in); got != want {
			t.Errorf("confidence(%q) = %d; want %d", in, got, want)
		}
	}
	for in, want := range map[string]string{"blue": "blue", "Yellow": "yellow", "newEnergy": "green", "unknown": "", "other": ""} {
		if got := plateColor(in); got != want {
			t.Errorf("plateColor(%q) = %q; want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"vehicle": "car", "SUVMPV": "car", "smallCar": "car", "largeBus": "bus", "mediumBus": "bus",
		"truck": "truck", "pickupTruck": "truck", "van": "truck", "twoWheelVehicle": "motorcycle", "motorcycle": "motorcycle",
		"motorVehicle": "car", "nonmotorVehicle": "", "pedestrian": "", "": "", "tank": ""} {
		if got := vehicleType(in); got != want {
			t.Errorf("vehicleType(%q) = %q; want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{" 粤B·D12345 ": "粤BD12345", "无车牌": "", "unknown": "", "湘a-8k3q2": "湘A8K3Q2"} {
		if got := plateText(in); got != want {
			t.Errorf("plateText(%q) = %q; want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"VMD": "motion", "fielddetection": "intrusion", "linedetection": "line_crossing",
		"shelteralarm": "tamper", "videoloss": "video_loss", "IO": "io"} {
		if got := alarmKind(in); got != want {
			t.Errorf("alarmKind(%q) = %q; want %q", in, got, want)
		}
	}
}
