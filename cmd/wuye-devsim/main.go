// Command wuye-devsim runs the demo tenant's devices as simulators of their
// real protocols, so the embedded demo (`make run`) shows live plates, doors,
// lifts and camera alarms without any hardware:
//
//   - isapi-lpr cameras: an ISAPI camera per device that answers the driver's
//     gate commands and pushes plate alerts to the core's ingress endpoint
//     (residents' cars and visitors, in at the "in" camera, out at the "out"
//     one);
//   - mqtt-door controllers: an embedded MQTT broker where the devices say
//     (unless one already answers there) and a controller with card, QR and
//     face traffic;
//   - modbus-elevator boxes: a Modbus TCP lift per device with a day's traffic;
//   - onvif-camera cameras: a SOAP camera raising the occasional alarm.
//
// It reads the devices from the tenant manifest (tenants/demo.yaml, built
// in) and, to push to the ingress endpoint, signs in as the demo tenant's
// administrator with the password the server wrote on first start
// (data/demo-passwords.txt) to learn the devices' ids.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	isapi "github.com/wuye-project/wuye/plugins/drivers/isapi-lpr/sim"
	lift "github.com/wuye-project/wuye/plugins/drivers/modbus-elevator/sim"
	door "github.com/wuye-project/wuye/plugins/drivers/mqtt-door/sim"
	onvif "github.com/wuye-project/wuye/plugins/drivers/onvif-camera/sim"

	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/tenants"
)

func main() {
	manifest := flag.String("manifest", "", "tenant manifest with devices: (default: the built-in tenants/demo.yaml)")
	server := flag.String("server", "", "the core's base URL (default http:// + $WUYE_HTTP_ADDR or 127.0.0.1:8080)")
	dataDir := flag.String("data", envOr("WUYE_DATA_DIR", "data"), "the server's data folder (for demo-passwords.txt)")
	every := flag.Duration("plates", 20*time.Second, "mean time between plate reads at the gate")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "devsim")
	if *server == "" {
		*server = "http://" + envOr("WUYE_HTTP_ADDR", "127.0.0.1:8080")
	}
	m, err := readManifest(*manifest)
	if err != nil {
		log.Error("manifest", "err", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var cameras []lprCamera
	for _, d := range m.Devices {
		addr, _ := d.Config["address"].(string)
		switch d.Driver {
		case "modbus-elevator":
			unit, _ := d.Config["unit_id"].(int)
			l, err := lift.New(lift.Options{Addr: addr, UnitID: uint8(unit), Lowest: -1, Floors: 18})
			if err != nil {
				log.Warn("lift not started", "device", d.Name, "err", err)
				continue
			}
			defer l.Close()
			go l.Demo(ctx)
			log.Info("lift", "device", d.Name, "addr", l.Addr())
		case "onvif-camera":
			user, _ := d.Config["username"].(string)
			c, err := onvif.New(onvif.Options{Addr: addr, Username: user, Password: d.Secrets["password"], Name: d.Name})
			if err != nil {
				log.Warn("camera not started", "device", d.Name, "err", err)
				continue
			}
			defer c.Close()
			go c.Demo(ctx)
			log.Info("onvif camera", "device", d.Name, "addr", c.Addr())
		case "mqtt-door":
			broker, _ := d.Config["broker"].(string)
			prefix, _ := d.Config["prefix"].(string)
			serial, _ := d.Config["serial"].(string)
			if !answers(broker) {
				b, err := door.Broker(broker)
				if err != nil {
					log.Warn("broker not started", "addr", broker, "err", err)
					continue
				}
				defer b.Close()
				log.Info("mqtt broker", "addr", b.Addr())
			}
			dr, err := door.NewDoor(door.Options{Broker: broker, Prefix: prefix, Serial: serial, Doors: 2})
			if err != nil {
				log.Warn("door controller not started", "device", d.Name, "err", err)
				continue
			}
			defer dr.Close()
			go func() { _ = dr.Demo(ctx, 0.1) }()
			log.Info("door controller", "device", d.Name, "broker", broker, "serial", serial)
		case "isapi-lpr":
			user, _ := d.Config["username"].(string)
			c, err := isapi.New(isapi.Options{Addr: addr, Username: user, Password: d.Secrets["password"]})
			if err != nil {
				log.Warn("lpr camera not started", "device", d.Name, "err", err)
				continue
			}
			defer c.Close()
			cameras = append(cameras, lprCamera{name: d.Name, direction: d.Direction, token: d.Token, cam: c})
			log.Info("lpr camera", "device", d.Name, "addr", c.Addr())
		}
	}
	if len(cameras) > 0 {
		go func() {
			if err := gate(ctx, log, *server, *dataDir, m.Code, cameras, *every); err != nil && ctx.Err() == nil {
				log.Warn("plate traffic stopped", "err", err)
			}
		}()
	}
	<-ctx.Done()
}

type lprCamera struct {
	name, direction, token string
	cam                    *isapi.Camera
	url                    string // ingress URL with the token
}

// gate learns the cameras' device ids from the server, then drives cars
// through: residents' cars and visitors enter at an "in" camera and leave
// later at an "out" one (visitors within the free minutes).
func gate(ctx context.Context, log *slog.Logger, server, dataDir, code string, cams []lprCamera, every time.Duration) error {
	ids, err := deviceIDs(ctx, server, filepath.Join(dataDir, "demo-passwords.txt"), code)
	if err != nil {
		return err
	}
	var in, out []*lprCamera
	for i := range cams {
		c := &cams[i]
		id, ok := ids[c.name]
		if !ok {
			log.Warn("camera not registered on the server", "device", c.name)
			continue
		}
		c.url = fmt.Sprintf("%s/api/v1/ingress/%s/%s?token=%s", server, url.PathEscape(code), id, url.QueryEscape(c.token))
		if c.direction == "out" {
			out = append(out, c)
		} else {
			in = append(in, c)
		}
	}
	if len(in) == 0 {
		return errors.New("no entry camera registered")
	}
	if len(out) == 0 {
		out = in
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	inside := map[string]bool{}
	var queue []string // inside, oldest first
	for {
		wait := time.Duration(float64(every) * (0.5 + rng.Float64()))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		var plate string
		switch r := rng.IntN(10); {
		case len(queue) > 0 && (r < 4 || len(queue) > 6):
			plate, queue = queue[0], queue[1:]
		case r < 7:
			plate = isapi.DemoPlates[rng.IntN(len(isapi.DemoPlates))]
		default:
			plate = visitorPlate(rng)
		}
		cam, dir := in[rng.IntN(len(in))], "enter"
		if inside[plate] {
			cam, dir = out[rng.IntN(len(out))], "exit"
			delete(inside, plate)
		} else {
			inside[plate] = true
			queue = append(queue, plate)
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := cam.cam.Push(pctx, cam.url, plate, dir, isapi.PushOptions{Picture: true, Confidence: 88 + rng.IntN(12)})
		cancel()
		if err != nil {
			log.Warn("plate push failed", "camera", cam.name, "plate", plate, "err", err)
		}
	}
}

func visitorPlate(rng *rand.Rand) string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	const chars = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := []byte{letters[rng.IntN(8)], '.'}
	for range 5 {
		b = append(b, chars[rng.IntN(len(chars))])
	}
	return []string{"粤", "粤", "湘", "赣", "京"}[rng.IntN(5)] + string(b)
}

// deviceIDs waits for the server, signs in as the tenant's admin and maps
// device names to ids.
func deviceIDs(ctx context.Context, server, passwordFile, code string) (map[string]string, error) {
	var token string
	for {
		pw, err := adminPassword(passwordFile)
		if err == nil {
			token, err = login(ctx, server, code, pw)
		}
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(3 * time.Second):
		}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+"/api/v1/devices?page_size=200", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("list devices: HTTP %d", resp.StatusCode)
	}
	var list struct {
		Items []struct{ ID, Name string } `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, d := range list.Items {
		ids[d.Name] = d.ID
	}
	return ids, nil
}

func adminPassword(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "admin: "); ok {
			return v, nil
		}
	}
	return "", errors.New("no admin password in " + file)
}

func login(ctx context.Context, server, code, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"tenant": code, "login": "admin", "password": password})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, server+"/api/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("sign-in: HTTP %d", resp.StatusCode)
	}
	var s struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return "", err
	}
	return s.AccessToken, nil
}

func readManifest(path string) (tenant.Manifest, error) {
	data := tenants.Demo
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return tenant.Manifest{}, err
		}
		data = b
	}
	return tenant.ParseManifest(data)
}

// answers says whether something listens at addr.
func answers(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
