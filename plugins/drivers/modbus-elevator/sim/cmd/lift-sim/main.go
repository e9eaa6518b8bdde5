// Command lift-sim runs simulated lift monitoring boxes with a day's
// traffic (sim.Demo), for a demo site or trying the driver by hand:
//
//	go run ./plugins/drivers/modbus-elevator/sim/cmd/lift-sim -addr 127.0.0.1:1502 -lifts 2
//
// Lift n listens on the port after lift n-1's.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"

	"github.com/wuye-project/wuye/plugins/drivers/modbus-elevator/sim"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:1502", "listen address of the first lift")
	lifts := flag.Int("lifts", 1, "how many lifts")
	lowest := flag.Int("lowest", -2, "lowest floor")
	floors := flag.Int("floors", 18, "top floor")
	unit := flag.Int("unit", 1, "Modbus unit id")
	flag.Parse()
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		fail(err)
	}
	first, err := strconv.Atoi(port)
	if err != nil {
		fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	for i := range *lifts {
		l, err := sim.New(sim.Options{Addr: net.JoinHostPort(host, strconv.Itoa(first+i)), UnitID: uint8(*unit),
			Lowest: *lowest, Floors: *floors})
		if err != nil {
			fail(err)
		}
		defer l.Close()
		fmt.Printf("lift %d on %s (unit %d, floors %d..%d)\n", i+1, l.Addr(), *unit, *lowest, *floors)
		go l.Demo(ctx)
	}
	<-ctx.Done()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "lift-sim:", err)
	os.Exit(1)
}
