package pluginhost

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// TestHelperHost is not a test: TestNoOrphanAfterHostSIGKILL runs the test
// binary as a host process that starts one plugin, prints its pid and waits
// to be killed.
func TestHelperHost(t *testing.T) {
	if os.Getenv("WUYE_PLUGINHOST_HELPER") != "1" {
		t.Skip("helper process for TestNoOrphanAfterHostSIGKILL")
	}
	res := newResolver()
	tenant := uuid.New()
	res.set(Spec{TenantID: tenant, TenantCode: "helper", Name: "good", Version: "1.0.0",
		Path: os.Getenv("WUYE_HELPER_PLUGIN"), SHA256: os.Getenv("WUYE_HELPER_SHA256")})
	sup, err := New(Options{Resolver: res, Host: hostFactory})
	if err != nil {
		t.Fatal(err)
	}
	var pid string
	err = sup.Call(context.Background(), tenant, "good", func(ctx context.Context, c wuyepb.PluginClient, _ *wuyepb.Manifest) error {
		r, err := c.HandleHTTP(ctx, &wuyepb.HTTPRequest{Method: "GET", Path: "/pid"})
		if err == nil {
			pid = string(r.Body)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("PLUGINPID %s\n", pid)
	time.Sleep(time.Minute)
}

func TestNoOrphanAfterHostSIGKILL(t *testing.T) {
	needLinux(t)
	path, sum := install(t, t.TempDir(), "good", "good")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHost$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "WUYE_PLUGINHOST_HELPER=1", "WUYE_HELPER_PLUGIN="+path, "WUYE_HELPER_SHA256="+sum)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := 0
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	for pid == 0 && sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PLUGINPID "); ok {
			pid, _ = strconv.Atoi(v)
		}
	}
	deadline.Stop()
	if pid == 0 || !alive(pid) {
		t.Fatalf("the helper host did not start its plugin (pid %d)", pid)
	}
	go func() { // keep the pipe drained
		for sc.Scan() {
		}
	}()
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no clean-up runs in the host
		t.Fatal(err)
	}
	_ = cmd.Wait()
	eventually(t, 2*time.Second, "plugin gone with its host", func() bool { return !alive(pid) })
}
