// Command onvif-sim runs the simulated ONVIF camera on its own, for trying
// the driver by hand or a demo tenant:
//
//	go run ./plugins/drivers/onvif-camera/sim/cmd/onvif-sim -addr 127.0.0.1:8000 -demo
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/wuye-project/wuye/plugins/drivers/onvif-camera/sim"
)

func main() {
	var o sim.Options
	flag.StringVar(&o.Addr, "addr", "127.0.0.1:8000", "HTTP listen address")
	flag.StringVar(&o.Username, "user", "admin", "username (empty: no authentication)")
	flag.StringVar(&o.Password, "password", "admin123", "password")
	flag.StringVar(&o.Discovery, "discovery", "", "UDP address to answer WS-Discovery probes on (e.g. 0.0.0.0:3702)")
	flag.StringVar(&o.Name, "name", "Sim Camera", "name in discovery")
	demo := flag.Bool("demo", false, "raise motion now and then, and a rare intrusion")
	flag.Parse()

	cam, err := sim.New(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cam.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("ONVIF camera on %s (device service http://%s/onvif/device_service)\n", cam.Addr(), cam.Addr())
	if *demo {
		go cam.Demo(ctx)
	}
	<-ctx.Done()
}
