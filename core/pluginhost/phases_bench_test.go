package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	goplugin "github.com/hashicorp/go-plugin"

	sdkplugin "github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// BenchmarkColdStartPhases splits a cold start into its parts, each timed
// on its own, launch's steps done by hand: hashing the binary (SHA-256 of
// the whole file, as SecureConfig does before every exec), go-plugin's
// Client() (key generation for AutoMTLS, exec, the plugin's runtime start
// and its own key, the handshake line, the gRPC dial), Describe, Start (the
// plugin dials the Host on the broker) and the first HandleHTTP. Also, for
// comparison: exec alone (the binary run without the handshake cookie,
// which exits at once after the runtime starts) and Client() without
// AutoMTLS. Reports p50s in ms. good is the test plugin on the raw
// contract; ping is an SDK plugin (plugin.Serve).
func BenchmarkColdStartPhases(b *testing.B) {
	bins := benchPlugins(b)
	for _, name := range []string{"good", "ping"} {
		b.Run(name, func(b *testing.B) {
			path, sum := binAt(b, bins, name)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			spec := Spec{TenantID: uuid.New(), TenantCode: "bench", Name: name, Path: path, SHA256: sum}
			phases := map[string][]time.Duration{}
			note := func(k string, since time.Time) time.Time {
				now := time.Now()
				phases[k] = append(phases[k], now.Sub(since))
				return now
			}
			for b.Loop() {
				t := time.Now()
				f, err := os.ReadFile(path)
				if err != nil {
					b.Fatal(err)
				}
				if s := sha256.Sum256(f); hex.EncodeToString(s[:]) != sum {
					b.Fatal("checksum")
				}
				t = note("hash", t)
				_ = exec.Command(path).Run() // no cookie: prints a notice and exits
				t = note("exec-only", t)
				for _, mtls := range []bool{true, false} {
					cmd := exec.Command(path)
					dieWithHost(cmd)
					gp := &grpcPlugin{spec: spec, host: hostFactory}
					client := goplugin.NewClient(&goplugin.ClientConfig{
						HandshakeConfig:  sdkplugin.Handshake,
						VersionedPlugins: map[int]goplugin.PluginSet{2: {sdkplugin.PluginKey: gp}},
						Cmd:              cmd, AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
						AutoMTLS: mtls, Logger: newHCLogger(log), StartTimeout: 10 * time.Second,
					})
					t = time.Now()
					proto, err := client.Client()
					if err != nil {
						b.Fatal(err)
					}
					if !mtls {
						note("client-no-mtls", t)
						client.Kill()
						continue
					}
					t = note("client", t)
					raw, err := proto.Dispense(sdkplugin.PluginKey)
					if err != nil {
						b.Fatal(err)
					}
					conn := raw.(*pluginConn)
					ctx := context.Background()
					if _, err := conn.rpc.Describe(ctx, &wuyepb.DescribeRequest{ApiVersion: 2}); err != nil {
						b.Fatal(err)
					}
					t = note("describe", t)
					if _, err := conn.rpc.Start(ctx, &wuyepb.StartRequest{TenantId: spec.TenantID.String(), TenantCode: "bench", HostBrokerId: conn.hostID, ApiVersion: 2}); err != nil {
						b.Fatal(err)
					}
					t = note("start", t)
					if _, err := conn.rpc.HandleHTTP(ctx, &wuyepb.HTTPRequest{Method: "GET", Path: "/items"}); err != nil {
						b.Fatal(err)
					}
					note("first-call", t)
					client.Kill()
				}
			}
			for _, k := range []string{"hash", "exec-only", "client", "client-no-mtls", "describe", "start", "first-call"} {
				b.ReportMetric(float64(percentile(phases[k], .5).Microseconds())/1000, k+"-ms")
			}
		})
	}
}

// BenchmarkIdlePSSCount: the proportional set size of idle plugin
// processes of one binary, 1, 10 and 100 of them at once (they share the
// binary's text), for good (raw contract) and ping (SDK). Measured once,
// whatever b.N, after the processes have settled. anon-each-MB is the part
// of each process's PSS that is its own (heap, stacks); the rest is the
// binary's pages, shared by the copies: one process alone carries all of it.
func BenchmarkIdlePSSCount(b *testing.B) {
	bins := benchPlugins(b)
	for _, name := range []string{"good", "ping"} {
		for _, n := range []int{1, 10, 100} {
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				sup, res, _ := benchEnv(b, Options{IdleTimeout: -1, HealthInterval: time.Minute})
				path, sum := binAt(b, bins, name)
				tenants := make([]uuid.UUID, n)
				for i := range tenants {
					tenants[i] = uuid.New()
					res.set(Spec{TenantID: tenants[i], TenantCode: "t" + strconv.Itoa(i), Name: name, Version: "1.0.0", Path: path, SHA256: sum})
				}
				for _, t := range tenants {
					err := sup.Call(context.Background(), t, name, func(ctx context.Context, c wuyepb.PluginClient, _ *wuyepb.Manifest) error {
						_, err := c.HandleHTTP(ctx, &wuyepb.HTTPRequest{Method: "GET", Path: "/items"})
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				time.Sleep(3 * time.Second)
				var total, rss, anon int64
				for _, t := range tenants {
					p, _ := procOf(sup, t)
					total += pss(p.PID)
					rss += procRSS(p.PID)
					anon += pssAnon(p.PID)
				}
				for b.Loop() {
				}
				b.ReportMetric(float64(total)/float64(n)/(1<<20), "pss-each-MB")
				b.ReportMetric(float64(rss)/float64(n)/(1<<20), "rss-each-MB")
				b.ReportMetric(float64(anon)/float64(n)/(1<<20), "anon-each-MB")
			})
		}
	}
}

// pssAnon is the anonymous part of a process's PSS (heap, stacks: what
// no other copy of the binary shares), in bytes.
func pssAnon(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0
	}
	return kbField(b, "Pss_Anon:")
}

// benchPlugins builds good and ping as `make build` builds plugins
// (-trimpath -ldflags="-s -w"; WUYE_BENCH_PLUGIN_FLAGS=none: plain go build)
// into a folder of the benchmark and returns it.
func benchPlugins(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	flags := []string{"-trimpath", "-ldflags=-s -w"}
	if os.Getenv("WUYE_BENCH_PLUGIN_FLAGS") == "none" {
		flags = nil
	}
	for _, p := range []string{"good", "ping"} {
		args := append(append([]string{"build"}, flags...), "-o", filepath.Join(dir, p), "./testdata/"+p)
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", p, err, out)
		}
	}
	return dir
}

// binAt is a built plugin's path and SHA-256.
func binAt(b *testing.B, dir, name string) (string, string) {
	b.Helper()
	path := filepath.Join(dir, name)
	blob, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	s := sha256.Sum256(blob)
	return path, hex.EncodeToString(s[:])
}
