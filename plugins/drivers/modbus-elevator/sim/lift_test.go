package sim

import (
	"errors"
	"io"
	"log"
	"testing"
	"time"

	"github.com/simonvetter/modbus"
)

func fast(t *testing.T, o Options) *Lift {
	t.Helper()
	o.FloorTime, o.DoorTime = 100*time.Millisecond, 50*time.Millisecond
	l, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func client(t *testing.T, l *Lift, unit uint8) *modbus.ModbusClient {
	t.Helper()
	c, err := modbus.NewClient(&modbus.ClientConfiguration{URL: "tcp://" + l.Addr(), Timeout: time.Second,
		Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Open(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetUnitId(unit)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLiftAnswersCallsOverModbus(t *testing.T) {
	l := fast(t, Options{Base: 100, Lowest: -2, Floors: 6})
	c := client(t, l, 1)
	regs, err := c.ReadRegisters(100, NumRegs, modbus.HOLDING_REGISTER)
	if err != nil {
		t.Fatal(err)
	}
	if int16(regs[RegFloor]) != -2 || regs[RegDoorZone] != 1 || regs[RegRunning] != 0 {
		t.Fatalf("start: %v", regs)
	}
	l.Call(3)
	eventually(t, "moving up", func() bool {
		r, err := c.ReadRegisters(100, NumRegs, modbus.HOLDING_REGISTER)
		return err == nil && r[RegRunning] == 1 && r[RegDirection] == DirUp
	})
	eventually(t, "door open at 3", func() bool {
		r := l.Registers()
		return int16(r[RegFloor]) == 3 && r[RegDoor] == DoorOpen
	})
	eventually(t, "idle at 3", l.Idle)
	if _, err := c.ReadRegisters(0, NumRegs, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrIllegalDataAddress) {
		t.Fatalf("read below base: %v", err)
	}
}

func TestServiceModeIsTheOnlyWritableRegister(t *testing.T) {
	l := fast(t, Options{})
	c := client(t, l, 1)
	if err := c.WriteRegister(RegServiceMode, 1); err != nil {
		t.Fatal(err)
	}
	if l.Registers()[RegServiceMode] != 1 {
		t.Fatal("service mode not set")
	}
	if err := c.WriteRegister(RegFloor, 5); !errors.Is(err, modbus.ErrIllegalDataValue) {
		t.Fatalf("writing the floor: %v", err)
	}
	l.Call(4)
	time.Sleep(200 * time.Millisecond)
	if !l.Idle() && l.Registers()[RegRunning] == 1 {
		t.Fatal("a lift in service mode answered a call")
	}
}

func TestTrapAndClear(t *testing.T) {
	l := fast(t, Options{})
	l.Trap()
	r := l.Registers()
	if r[RegFault] != FaultBetweenFloors || r[RegAlarm] != 1 || r[RegDoorZone] != 0 || r[RegRunning] != 0 || r[RegDoor] != DoorClosed {
		t.Fatalf("trapped: %v", r)
	}
	l.Clear()
	eventually(t, "rescued to a landing", l.Idle)
	if r := l.Registers(); r[RegFault] != 0 || r[RegDoorZone] != 1 {
		t.Fatalf("after clear: %v", r)
	}
}

func TestBadAnswers(t *testing.T) {
	l := fast(t, Options{UnitID: 7})
	c := client(t, l, 1)
	if _, err := c.ReadRegisters(0, NumRegs, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrGWTargetFailedToRespond) {
		t.Fatalf("wrong unit: %v", err)
	}
	_ = c.SetUnitId(7)
	l.SetAnswer(Exceptions)
	if _, err := c.ReadRegisters(0, NumRegs, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrServerDeviceFailure) {
		t.Fatalf("exceptions: %v", err)
	}
	l.SetAnswer(ShortReads)
	if _, err := c.ReadRegisters(0, NumRegs, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrProtocolError) {
		t.Fatalf("short: %v", err)
	}
	l.SetAnswer(Garbage)
	if _, err := c.ReadRegisters(0, NumRegs, modbus.HOLDING_REGISTER); err == nil {
		t.Fatal("garbage read fine")
	}
	l.SetAnswer(Normal)
	l.Poke(RegFloor, 300)
	c2 := client(t, l, 7)
	r, err := c2.ReadRegisters(0, NumRegs, modbus.HOLDING_REGISTER)
	if err != nil || r[RegFloor] != 300 {
		t.Fatalf("poke: %v %v", r, err)
	}
}

func TestStopAndStartKeepTheAddress(t *testing.T) {
	l := fast(t, Options{})
	addr := l.Addr()
	client(t, l, 1)
	l.Stop()
	c, _ := modbus.NewClient(&modbus.ClientConfiguration{URL: "tcp://" + addr, Timeout: 200 * time.Millisecond, Logger: log.New(io.Discard, "", 0)})
	if err := c.Open(); err == nil {
		_ = c.Close()
		t.Fatal("connected to a stopped box")
	}
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	if l.Addr() != addr {
		t.Fatalf("address moved: %s → %s", addr, l.Addr())
	}
	client(t, l, 1)
}

func TestDemoPlacesTrips(t *testing.T) {
	for _, hour := range []int{8, 13, 18} {
		l := fast(t, Options{Lowest: -2, Floors: 12})
		if wait := l.demoTrip(hour); wait <= 0 {
			t.Fatalf("hour %d: wait %s", hour, wait)
		}
		if l.Idle() && l.Registers()[RegFault] == 0 {
			t.Fatalf("hour %d: neither a trip nor a fault", hour)
		}
	}
}
