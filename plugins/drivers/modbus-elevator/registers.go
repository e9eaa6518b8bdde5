package main

import (
	"fmt"

	"github.com/wuye-project/wuye/sdk/driver"
)

// Holding register offsets from the device's base address (README.md).
const (
	regFloor       = 0 // int16, basements negative
	regDirection   = 1 // 0 idle, 1 up, 2 down
	regDoor        = 2 // 0 closed, 1 opening, 2 open, 3 closing
	regRunning     = 3 // 0/1
	regLoad        = 4 // percent of rated load
	regFault       = 5 // 0 none, else faultTable
	regAlarm       = 6 // alarm button 0/1
	regHeartbeat   = 7 // +1 a second
	regDoorZone    = 8 // 1 level with a landing, 0 between floors
	regServiceMode = 9 // 0 normal, 1 out of service (writable)
	numRegs        = 10
)

// Plausible values: a box reporting beyond them is at fault, not the lift.
const (
	minFloor = -20
	maxFloor = 200
	maxLoad  = 250 // an overloaded car reads above 100
)

var directions = []string{"idle", "up", "down"}
var doors = []string{"closed", "opening", "open", "closing"}

// state is one poll's reading of the register map.
type state struct {
	Floor     int
	Direction string
	Door      string
	Running   bool
	Load      int
	Fault     int
	Alarm     bool
	Heartbeat int
	Level     bool // in the door zone of a landing
	Service   bool
}

// decode checks and reads the registers; out-of-range values are an error
// naming the register, so the status detail says what the box got wrong.
func decode(r []uint16) (state, error) {
	if len(r) != numRegs {
		return state{}, fmt.Errorf("read %d registers, want %d", len(r), numRegs)
	}
	s := state{
		Floor:     int(int16(r[regFloor])),
		Load:      int(r[regLoad]),
		Fault:     int(r[regFault]),
		Heartbeat: int(r[regHeartbeat]),
	}
	if s.Floor < minFloor || s.Floor > maxFloor {
		return s, fmt.Errorf("floor register reads %d, outside %d..%d", s.Floor, minFloor, maxFloor)
	}
	if int(r[regDirection]) >= len(directions) {
		return s, fmt.Errorf("direction register reads %d, want 0..2", r[regDirection])
	}
	s.Direction = directions[r[regDirection]]
	if int(r[regDoor]) >= len(doors) {
		return s, fmt.Errorf("door register reads %d, want 0..3", r[regDoor])
	}
	s.Door = doors[r[regDoor]]
	var err error
	if s.Running, err = flag(r, regRunning, "running"); err != nil {
		return s, err
	}
	if s.Load > maxLoad {
		return s, fmt.Errorf("load register reads %d%%, above %d%%", s.Load, maxLoad)
	}
	if s.Alarm, err = flag(r, regAlarm, "alarm"); err != nil {
		return s, err
	}
	if s.Level, err = flag(r, regDoorZone, "door zone"); err != nil {
		return s, err
	}
	if s.Service, err = flag(r, regServiceMode, "service mode"); err != nil {
		return s, err
	}
	return s, nil
}

func flag(r []uint16, i int, name string) (bool, error) {
	switch r[i] {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fmt.Errorf("%s register reads %d, want 0 or 1", name, r[i])
}

// elevator is the canonical elevator.status payload of a state.
func (s state) elevator() driver.Elevator {
	return driver.Elevator{Floor: s.Floor, Direction: s.Direction, Door: s.Door, Running: s.Running,
		Load: s.Load, FaultCode: s.Fault, Alarm: s.Alarm}
}

// same reports whether two states differ in nothing but the heartbeat.
func (s state) same(o state) bool {
	s.Heartbeat, o.Heartbeat = 0, 0
	return s == o
}

// faultInfo is what a fault code means.
type faultInfo struct {
	EN, ZH   string
	Severity string // minor, major, critical
}

// faultTable is the box's fault codes (README.md). Codes not in it are
// reported as "unknown fault N", major.
var faultTable = map[int]faultInfo{
	1:  {"door lock fault", "门锁故障", "major"},
	2:  {"overspeed", "超速", "critical"},
	3:  {"stopped between floors", "非平层停梯", "major"},
	4:  {"power failure", "停电", "major"},
	5:  {"safety circuit open", "安全回路断开", "critical"},
	6:  {"door obstructed, will not close", "关门受阻", "minor"},
	7:  {"overload", "超载", "minor"},
	8:  {"motor overheated", "电机过热", "major"},
	9:  {"levelling error", "平层误差", "minor"},
	10: {"controller not answering the box", "控制柜通讯中断", "major"},
	11: {"brake fault", "制动器故障", "critical"},
	12: {"pit flooded", "底坑进水", "major"},
}

func describeFault(code int) faultInfo {
	if f, ok := faultTable[code]; ok {
		return f
	}
	return faultInfo{EN: fmt.Sprintf("unknown fault %d", code), ZH: fmt.Sprintf("未知故障 %d", code), Severity: "major"}
}
