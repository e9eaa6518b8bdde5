package main

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// pushConn opens a push-mode camera whose gate faces gateDir.
func pushConn(t testing.TB, gateDir string) (*conn, *testkit.Sink) {
	t.Helper()
	sink := testkit.NewSink()
	dev := driver.Device{ID: "dev-1", Class: driver.LPRCamera, Location: driver.Location{Direction: gateDir},
		Config: []byte(`{"address": "127.0.0.1:9"}`)}
	c, err := open(context.Background(), dev, sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*conn), sink
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIngestFixtures(t *testing.T) {
	cases := []struct {
		file, gateDir string
		want          *driver.Plate // nil: no plate event
		key           string
		at            time.Time
	}{
		{file: "anpr_v20.xml", want: &driver.Plate{Plate: "粤BD12345", Color: "blue", Confidence: 97, Direction: "in", Lane: 2, Vehicle: "car"},
			key: "uuid:6d2a9c1e-0b7f-4a33-9d0e-5c51e2a7f001", at: time.Date(2026, 3, 14, 0, 15, 30, 512e6, time.UTC)},
		{file: "anpr_v20.xml", gateDir: "out", want: &driver.Plate{Plate: "粤BD12345", Color: "blue", Confidence: 97, Direction: "out", Lane: 2, Vehicle: "car"},
			key: "uuid:6d2a9c1e-0b7f-4a33-9d0e-5c51e2a7f001"},
		{file: "anpr_v10_old.xml", want: &driver.Plate{Plate: "湘A8K3Q2", Color: "yellow", Confidence: 91, Direction: "out", Lane: 1, Vehicle: "truck"},
			key: "plate:湘A 8K3Q2@2026-03-14T21:02:11#1", at: time.Date(2026, 3, 14, 13, 2, 11, 0, time.UTC)},
		{file: "anpr_unreadable.xml", gateDir: "in", want: &driver.Plate{Plate: "", Direction: "out"}, key: "uuid:6d2a9c1e-0b7f-4a33-9d0e-5c51e2a7f002"},
		{file: "heartbeat.xml"},
	}
	for _, tc := range cases {
		t.Run(tc.file+"/"+tc.gateDir, func(t *testing.T) {
			c, sink := pushConn(t, tc.gateDir)
			evs, reply, err := c.Ingest(context.Background(), driver.Push{Method: "POST", ContentType: `application/xml; charset="UTF-8"`, Body: fixture(t, tc.file)})
			if err != nil {
				t.Fatal(err)
			}
			if reply != nil {
				t.Errorf("reply %+v; a camera wants a plain 200", reply)
			}
			if got := sink.Statuses(); len(got) != 1 || got[0] != driver.StatusOnline {
				t.Errorf("statuses %v; any alert says the camera is online", got)
			}
			if tc.want == nil {
				if len(evs) != 0 {
					t.Fatalf("events %+v; a heartbeat carries none", evs)
				}
				return
			}
			if len(evs) != 1 || evs[0].Type != driver.PlateRecognized {
				t.Fatalf("events %+v", evs)
			}
			if got := evs[0].Data.(driver.Plate); got != *tc.want {
				t.Errorf("plate\n got %+v\nwant %+v", got, *tc.want)
			}
			if evs[0].Key != tc.key {
				t.Errorf("key %q; want %q", evs[0].Key, tc.key)
			}
			if !tc.at.IsZero() && !evs[0].At.Equal(tc.at) {
				t.Errorf("at %v; want %v", evs[0].At, tc.at)
			}
		})
	}
}

func TestIngestOtherAlertIsCameraAlarm(t *testing.T) {
	c, _ := pushConn(t, "")
	evs, _, err := c.Ingest(context.Background(), driver.Push{Method: "POST", ContentType: "text/xml", Body: fixture(t, "linedetection.xml")})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Type != driver.CameraAlarm {
		t.Fatalf("events %+v", evs)
	}
	want := driver.Alarm{Kind: "line_crossing", Channel: "1", Active: true, Region: "1"}
	if got := evs[0].Data.(driver.Alarm); got != want {
		t.Errorf("alarm %+v; want %+v", got, want)
	}
	if evs[0].Key == "" {
		t.Error("no key: a resent alarm would not be dropped")
	}
}

// multipartAlert is a form as cameras post it: the XML, then the plate
// close-up and the scene picture.
func multipartAlert(t testing.TB, xmlBody []byte, pics map[string][]byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	add := func(name, ct string, b []byte) {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+name+`"; filename="`+name+`"`)
		h.Set("Content-Type", ct)
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	add("anpr.xml", "application/xml", xmlBody)
	for _, name := range []string{"licensePlatePicture.jpg", "detectionPicture.jpg"} {
		if b, ok := pics[name]; ok {
			add(name, "image/jpeg", b)
		}
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

var jpegHead = []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0}

func TestIngestMultipartTakesTheScenePicture(t *testing.T) {
	c, _ := pushConn(t, "")
	plate := append(append([]byte{}, jpegHead...), "plate"...)
	scene := append(append([]byte{}, jpegHead...), "scene"...)
	ct, body := multipartAlert(t, fixture(t, "anpr_v20.xml"), map[string][]byte{"licensePlatePicture.jpg": plate, "detectionPicture.jpg": scene})
	evs, _, err := c.Ingest(context.Background(), driver.Push{Method: "POST", ContentType: ct, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || !bytes.Equal(evs[0].Picture, scene) || evs[0].PictureType != "image/jpeg" {
		t.Fatalf("events %+v; want the scene picture", evs)
	}
	if evs[0].Data.(driver.Plate).Plate != "粤BD12345" {
		t.Errorf("plate %+v", evs[0].Data)
	}
	// Only the close-up: that one.
	ct, body = multipartAlert(t, fixture(t, "anpr_v20.xml"), map[string][]byte{"licensePlatePicture.jpg": plate})
	evs, _, err = c.Ingest(context.Background(), driver.Push{Method: "POST", ContentType: ct, Body: body})
	if err != nil || len(evs) != 1 || !bytes.Equal(evs[0].Picture, plate) {
		t.Fatalf("events %+v, %v; want the plate picture", evs, err)
	}
}

func TestIngestBadInputIsInvalid(t *testing.T) {
	c, sink := pushConn(t, "")
	bigCT, big := multipartAlert(t, fixture(t, "anpr_v20.xml"), map[string][]byte{"detectionPicture.jpg": append(jpegHead, make([]byte, maxPicture)...)})
	noXMLCT, noXML := multipartAlert(t, []byte("not xml at all"), nil)
	cases := []struct {
		name, ct string
		body     []byte
		reason   string // a fragment of what the person reads
	}{
		{"malformed xml", "application/xml", []byte("<EventNotificationAlert><eventType>ANPR</eventType"), "not EventNotificationAlert XML"},
		{"other document", "application/xml", []byte("<DeviceInfo><model>x</model></DeviceInfo>"), "not EventNotificationAlert XML"},
		{"empty", "application/xml", nil, "empty"},
		{"no event type", "application/xml", []byte("<EventNotificationAlert><channelID>1</channelID></EventNotificationAlert>"), "no eventType"},
		{"missing plate", "application/xml", fixture(t, "anpr_no_plate_element.xml"), "ANPR/licensePlate"},
		{"json", "application/json", []byte(`{"plate": "粤B12345"}`), "expected application/xml or multipart/form-data"},
		{"no content type", "", fixture(t, "anpr_v20.xml"), "no Content-Type"},
		{"bad content type", "multipart/form-data; boundary=", fixture(t, "anpr_v20.xml"), "Content-Type"},
		{"multipart without boundary", "multipart/form-data", fixture(t, "anpr_v20.xml"), "boundary"},
		{"truncated multipart", "multipart/form-data; boundary=xyz", []byte("--xyz\r\nContent-Type: application/xml\r\n\r\n<Event"), "cannot be read"},
		{"multipart without xml", noXMLCT, noXML, "not EventNotificationAlert XML"},
		{"oversized picture", bigCT, big, "larger than 2 MiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, _, err := c.Ingest(context.Background(), driver.Push{Method: "POST", ContentType: tc.ct, Body: tc.body})
			var inv *driver.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("err %v (events %v); want driver.Invalid", err, evs)
			}
			if !strings.Contains(inv.Reason, tc.reason) {
				t.Errorf("reason %q; want it to say %q", inv.Reason, tc.reason)
			}
		})
	}
	if len(sink.Statuses()) != 0 {
		t.Errorf("statuses %v after garbage only", sink.Statuses())
	}
}

// FuzzParseAlert: whatever a camera (or anyone) posts, the driver answers
// events or driver.Invalid, never a panic or another error.
func FuzzParseAlert(f *testing.F) {
	for _, name := range []string{"anpr_v20.xml", "anpr_v10_old.xml", "anpr_unreadable.xml", "heartbeat.xml", "linedetection.xml", "anpr_no_plate_element.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add("application/xml", b)
	}
	f.Add("multipart/form-data; boundary=xyz", []byte("--xyz\r\nContent-Type: application/xml\r\n\r\n<EventNotificationAlert><eventType>ANPR</eventType><ANPR><licensePlate>A</licensePlate></ANPR></EventNotificationAlert>\r\n--xyz--\r\n"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		sink := testkit.NewSink()
		c := &conn{sink: sink, cfg: config{Channel: 1}}
		evs, _, err := c.Ingest(context.Background(), driver.Push{Method: "POST", ContentType: ct, Body: body})
		var inv *driver.InvalidError
		if err != nil && !errors.As(err, &inv) {
			t.Fatalf("error %v is not driver.Invalid", err)
		}
		for _, ev := range evs {
			if _, err := driver.Payload(ev.Data); err != nil {
				t.Fatalf("payload of %+v: %v", ev, err)
			}
		}
	})
}
