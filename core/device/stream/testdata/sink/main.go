// Command sink is a test feature plugin subscribed to door.accessed: it
// appends "<event id> <send-to-handled ns>" for every event it handles to
// the file its configuration names ({"file": "..."}).
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
)

func main() {
	var (
		mu sync.Mutex
		f  *os.File
	)
	p := &plugin.Plugin{Name: "sink", Version: "1.0.0", TitleEN: "Test sink", TitleZH: "测试接收器"}
	p.OnStart = func(ctx context.Context, host *plugin.Host) error {
		var cfg struct{ File string }
		if _, err := host.Config(ctx, &cfg); err != nil {
			return err
		}
		var err error
		f, err = os.OpenFile(cfg.File, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		return err
	}
	p.On(driver.DoorAccessed, func(_ context.Context, ev plugin.Event) error {
		var d driver.DoorAccess
		if _, err := driver.Open(ev, &d); err != nil {
			return err
		}
		sent, _ := strconv.ParseInt(d.Reason, 10, 64)
		mu.Lock()
		defer mu.Unlock()
		_, err := fmt.Fprintf(f, "%s %d\n", ev.ID, time.Now().UnixNano()-sent)
		return err
	})
	plugin.Serve(p)
}
