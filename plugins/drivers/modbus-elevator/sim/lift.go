// Package sim is a simulated lift monitoring box: a real Modbus TCP server
// (github.com/simonvetter/modbus) holding the modbus-elevator register map,
// in front of a lift that moves between floors on calls, opens and closes
// its door, counts a heartbeat, and can be made to fault, trap passengers
// or answer badly. The driver's tests run against it; Demo drives it with
// realistic traffic for a demo site.
//
// Holding registers, from Options.Base (see the driver's README.md):
//
//	0 floor (int16)  1 direction (0 idle, 1 up, 2 down)
//	2 door (0 closed, 1 opening, 2 open, 3 closing)  3 running (0/1)
//	4 load percent   5 fault code (0 none)  6 alarm button (0/1)
//	7 heartbeat (+1 a second)  8 door zone (1 level with a landing)
//	9 service mode (0/1, writable)
package sim

import (
	"sync"
	"time"
)

// Register offsets from the base address.
const (
	RegFloor = iota
	RegDirection
	RegDoor
	RegRunning
	RegLoad
	RegFault
	RegAlarm
	RegHeartbeat
	RegDoorZone
	RegServiceMode
	NumRegs // registers in the map
)

// Direction and door register values.
const (
	DirIdle, DirUp, DirDown                        = 0, 1, 2
	DoorClosed, DoorOpening, DoorOpen, DoorClosing = 0, 1, 2, 3
)

// FaultBetweenFloors is fault code 3: the car stopped between floors.
const FaultBetweenFloors = 3

// Options configure a simulated lift.
type Options struct {
	Addr   string // listen address; "127.0.0.1:0" when empty
	UnitID uint8  // answers this unit id only; 1 when 0
	Base   uint16 // address of register 0
	Lowest int    // lowest floor (negative: basements); 1 when both are 0
	Floors int    // top floor; 10 when 0
	// FloorTime is the travel time of one floor (2 s when 0); DoorTime
	// each door movement and the dwell with the door open (1 s when 0).
	FloorTime time.Duration
	DoorTime  time.Duration
	Answer    Answer // how it answers reads at first
}

// Answer is how the box answers register reads.
type Answer int

const (
	Normal     Answer = iota
	Exceptions        // every read gets exception 4 (server device failure)
	ShortReads        // well-framed answers two bytes short
	Garbage           // bytes that are no Modbus frame
)

// Lift is one simulated lift and its monitoring box.
type Lift struct {
	opt Options
	srv *server

	mu          sync.Mutex
	pos         int // tenths of a floor: floor*10 when level with it
	dir         int // DirIdle, DirUp, DirDown
	door        int
	doorLeft    time.Duration // left of the current door phase
	running     bool
	load        int
	fault       int
	alarm       bool
	heartbeat   uint16
	service     bool
	calls       []int
	overrides   map[int]uint16
	answer      Answer
	stepElapsed time.Duration

	stop chan struct{}
	done chan struct{}
}

// tick is the simulation step.
const tick = 10 * time.Millisecond

// New starts a lift at its lowest floor, door closed, and its Modbus server.
func New(o Options) (*Lift, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.UnitID == 0 {
		o.UnitID = 1
	}
	if o.Lowest == 0 && o.Floors == 0 {
		o.Lowest = 1
	}
	if o.Floors == 0 {
		o.Floors = 10
	}
	if o.FloorTime <= 0 {
		o.FloorTime = 2 * time.Second
	}
	if o.DoorTime <= 0 {
		o.DoorTime = time.Second
	}
	l := &Lift{opt: o, pos: o.Lowest * 10, answer: o.Answer, overrides: map[int]uint16{},
		stop: make(chan struct{}), done: make(chan struct{})}
	srv, err := newServer(l)
	if err != nil {
		return nil, err
	}
	l.srv = srv
	go l.run()
	return l, nil
}

// Addr is the host:port the box listens on.
func (l *Lift) Addr() string { return l.srv.addr() }

// Stop makes the box unreachable (its listener and connections closed);
// the lift keeps moving. Start listens again on the same address.
func (l *Lift) Stop() { l.srv.stopFront() }

// Start listens again after Stop.
func (l *Lift) Start() error { return l.srv.startFront() }

// Close stops the box and the lift for good.
func (l *Lift) Close() error {
	select {
	case <-l.stop:
		return nil
	default:
	}
	close(l.stop)
	<-l.done
	return l.srv.close()
}

// Call registers a call to floor (a landing or car button).
func (l *Lift) Call(floor int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if floor < l.opt.Lowest || floor > l.opt.Floors {
		return
	}
	for _, c := range l.calls {
		if c == floor {
			return
		}
	}
	l.calls = append(l.calls, floor)
}

// Fault sets a fault code. Codes 2–5 stop the car where it is; any fault
// keeps it from starting another trip.
func (l *Lift) Fault(code int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fault = code
	if code >= 2 && code <= 5 {
		l.running = false
	}
}

// Clear ends the fault and the alarm; a car between floors creeps to the
// nearest landing in its direction and opens its door (a rescue).
func (l *Lift) Clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fault, l.alarm = 0, false
	if l.pos%10 != 0 {
		next := floorDiv(l.pos, 10)
		if l.dir == DirUp {
			next++
		}
		l.calls = append([]int{next}, l.calls...)
	}
}

// Alarm presses (true) or releases the alarm button.
func (l *Lift) Alarm(on bool) {
	l.mu.Lock()
	l.alarm = on
	l.mu.Unlock()
}

// Trap stops the car between floors, door closed, with fault 3 and the
// alarm pressed: passengers trapped.
func (l *Lift) Trap() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pos%10 == 0 {
		if l.pos/10 < l.opt.Floors {
			l.pos += 5
			l.dir = DirUp
		} else {
			l.pos -= 5
			l.dir = DirDown
		}
	}
	l.running, l.door, l.doorLeft = false, DoorClosed, 0
	l.fault, l.alarm = FaultBetweenFloors, true
}

// Load sets the car's load in percent.
func (l *Lift) Load(percent int) {
	l.mu.Lock()
	l.load = percent
	l.mu.Unlock()
}

// SetAnswer changes how the box answers reads.
func (l *Lift) SetAnswer(a Answer) {
	l.mu.Lock()
	l.answer = a
	l.mu.Unlock()
}

// Poke makes register offset read value whatever the lift does, to play a
// box that reports nonsense (floor 300, direction 7); Unpoke ends it.
func (l *Lift) Poke(offset int, value uint16) {
	l.mu.Lock()
	l.overrides[offset] = value
	l.mu.Unlock()
}

// Unpoke ends every Poke.
func (l *Lift) Unpoke() {
	l.mu.Lock()
	clear(l.overrides)
	l.mu.Unlock()
}

// Floor is the floor the car is at or last passed.
func (l *Lift) Floor() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.floor()
}

// Idle reports whether the car is level, door closed, with no calls.
func (l *Lift) Idle() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.running && l.door == DoorClosed && len(l.calls) == 0 && l.pos%10 == 0
}

func (l *Lift) floor() int {
	f := floorDiv(l.pos, 10)
	if l.dir == DirDown && l.pos%10 != 0 {
		f++ // going down, the last floor passed is the one above
	}
	return f
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Registers is the register map as the box would answer it now.
func (l *Lift) Registers() [NumRegs]uint16 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.registers()
}

func (l *Lift) registers() [NumRegs]uint16 {
	var r [NumRegs]uint16
	r[RegFloor] = uint16(int16(l.floor()))
	r[RegDirection] = uint16(l.dir)
	if !l.running {
		r[RegDirection] = DirIdle
	}
	r[RegDoor] = uint16(l.door)
	r[RegRunning] = b2u(l.running)
	r[RegLoad] = uint16(l.load)
	r[RegFault] = uint16(l.fault)
	r[RegAlarm] = b2u(l.alarm)
	r[RegHeartbeat] = l.heartbeat
	r[RegDoorZone] = b2u(l.pos%10 == 0)
	r[RegServiceMode] = b2u(l.service)
	for off, v := range l.overrides {
		if off >= 0 && off < NumRegs {
			r[off] = v
		}
	}
	return r
}

func b2u(b bool) uint16 {
	if b {
		return 1
	}
	return 0
}

// run moves the lift and counts the heartbeat.
func (l *Lift) run() {
	defer close(l.done)
	t := time.NewTicker(tick)
	defer t.Stop()
	var sinceBeat time.Duration
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		sinceBeat += tick
		if sinceBeat >= time.Second {
			sinceBeat -= time.Second
			l.heartbeat++
		}
		l.step()
		l.mu.Unlock()
	}
}

// step advances the lift by one tick; l.mu is held.
func (l *Lift) step() {
	if l.door != DoorClosed {
		l.stepDoor()
		return
	}
	halted := l.fault >= 2 && l.fault <= 5
	if halted {
		l.running = false
		return
	}
	if !l.running {
		if len(l.calls) == 0 || l.service || (l.fault != 0 && l.pos%10 == 0) {
			return
		}
		target := l.calls[0]
		switch {
		case target*10 == l.pos:
			l.calls = l.calls[1:]
			l.door, l.doorLeft = DoorOpening, l.opt.DoorTime
			return
		case target*10 > l.pos:
			l.dir = DirUp
		default:
			l.dir = DirDown
		}
		l.running, l.stepElapsed = true, 0
		return
	}
	// Moving: one tenth of a floor each FloorTime/10.
	l.stepElapsed += tick
	if l.stepElapsed < l.opt.FloorTime/10 {
		return
	}
	l.stepElapsed = 0
	if l.dir == DirUp {
		l.pos++
	} else {
		l.pos--
	}
	if len(l.calls) > 0 && l.pos == l.calls[0]*10 {
		l.calls = l.calls[1:]
		l.running, l.dir = false, DirIdle
		l.door, l.doorLeft = DoorOpening, l.opt.DoorTime
	}
}

// stepDoor runs the door: opening, open (dwell), closing, closed.
func (l *Lift) stepDoor() {
	l.doorLeft -= tick
	if l.doorLeft > 0 {
		return
	}
	switch l.door {
	case DoorOpening:
		l.door, l.doorLeft = DoorOpen, l.opt.DoorTime
	case DoorOpen:
		if l.fault == 1 || l.fault == 6 {
			l.doorLeft = l.opt.DoorTime // a door fault keeps it open
			return
		}
		l.door, l.doorLeft = DoorClosing, l.opt.DoorTime
	case DoorClosing:
		l.door = DoorClosed
	}
}
