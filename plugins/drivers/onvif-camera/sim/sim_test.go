package sim

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// call posts a body with a UsernameToken made from password and created.
func call(t *testing.T, cam *Camera, path, password string, created time.Time, body string) (int, string) {
	t.Helper()
	nonce := []byte("0123456789abcdef")
	cr := created.UTC().Format(time.RFC3339)
	h := sha1.New()
	h.Write(nonce)
	h.Write([]byte(cr))
	h.Write([]byte(password))
	env := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><Security><UsernameToken>` +
		`<Username>admin</Username><Password Type="x#PasswordDigest">` + base64.StdEncoding.EncodeToString(h.Sum(nil)) +
		`</Password><Nonce>` + base64.StdEncoding.EncodeToString(nonce) + `</Nonce><Created>` + cr + `</Created>` +
		`</UsernameToken></Security></s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
	resp, err := http.Post("http://"+cam.Addr()+path, "application/soap+xml", strings.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestUsernameTokenIsChecked(t *testing.T) {
	cam, err := New(Options{Username: "admin", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	if st, body := call(t, cam, "/onvif/media_service", "pw", time.Now(), `<GetProfiles/>`); st != 200 || !strings.Contains(body, "Profile_1") {
		t.Errorf("good token: %d %s", st, body)
	}
	for name, c := range map[string]struct {
		pw string
		at time.Time
	}{"wrong password": {"nope", time.Now()}, "stale": {"pw", time.Now().Add(-time.Hour)}} {
		if st, body := call(t, cam, "/onvif/media_service", c.pw, c.at, `<GetProfiles/>`); st != 400 || !strings.Contains(body, "NotAuthorized") {
			t.Errorf("%s: %d %s", name, st, body)
		}
	}
	if cam.Stats().AuthFailures != 2 {
		t.Errorf("stats: %+v", cam.Stats())
	}
}

func TestPullLongPollsAndSubscriptionsTerminate(t *testing.T) {
	cam, err := New(Options{MaxTTL: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	id, _ := cam.subscribe(time.Minute)
	go func() { time.Sleep(50 * time.Millisecond); _ = cam.Alarm(Motion, true) }()
	start := time.Now()
	msgs, _, ok := cam.pull(context.Background(), id, 5*time.Second, 10)
	if !ok || len(msgs) != 1 || time.Since(start) > time.Second {
		t.Fatalf("pull: %v %v after %s", msgs, ok, time.Since(start))
	}
	time.Sleep(350 * time.Millisecond)
	if _, _, ok := cam.pull(context.Background(), id, 10*time.Millisecond, 10); ok {
		t.Error("a terminated subscription answered")
	}
	// A new subscription learns the motion that still holds.
	id, _ = cam.subscribe(time.Minute)
	if msgs, _, _ := cam.pull(context.Background(), id, 10*time.Millisecond, 10); len(msgs) != 1 || msgs[0].op != "Initialized" {
		t.Errorf("initial state: %+v", msgs)
	}
	if err := cam.Alarm("fire", true); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestPictureIsAJPEG(t *testing.T) {
	if p := Picture(); !bytes.HasPrefix(p, []byte{0xff, 0xd8}) {
		t.Error("not a JPEG")
	}
}

func TestDemoRaisesAlarms(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the demo")
	}
	cam, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	id, _ := cam.subscribe(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go cam.Demo(ctx)
	msgs, _, _ := cam.pull(context.Background(), id, 15*time.Second, 10)
	if len(msgs) == 0 || !msgs[0].active {
		t.Errorf("demo: %+v", msgs)
	}
}
