package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"github.com/simonvetter/modbus"
)

// server is the box's network side. The library's Modbus server answers on
// a loopback port of its own; the front listener at Options.Addr relays
// frames to it, which is where a box that misbehaves on the wire (short or
// garbage answers) is played, and what Stop and Start open and close.
type server struct {
	lift    *Lift
	backend *modbus.ModbusServer
	back    string // the backend's host:port

	mu    sync.Mutex
	front net.Listener
	at    string // the front's address, kept across Stop/Start
	conns map[net.Conn]struct{}
}

func newServer(l *Lift) (*server, error) {
	s := &server{lift: l, conns: map[net.Conn]struct{}{}}
	var err error
	// The library does not say which port it bound, so take a free one
	// first; another process taking it meanwhile is retried.
	for range 5 {
		var port string
		if port, err = freePort(); err != nil {
			continue
		}
		s.back = "127.0.0.1:" + port
		s.backend, err = modbus.NewServer(&modbus.ServerConfiguration{
			URL: "tcp://" + s.back, Timeout: 30 * time.Second, MaxClients: 64,
			Logger: log.New(io.Discard, "", 0),
		}, &handler{l: l})
		if err != nil {
			return nil, err
		}
		if err = s.backend.Start(); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sim: start the modbus server: %w", err)
	}
	s.at = l.opt.Addr
	if err := s.startFront(); err != nil {
		_ = s.backend.Stop()
		return nil, err
	}
	return s, nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

func (s *server) addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at
}

func (s *server) startFront() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.front != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.at)
	if err != nil {
		return fmt.Errorf("sim: listen: %w", err)
	}
	s.front, s.at = ln, ln.Addr().String()
	go s.accept(ln)
	return nil
}

func (s *server) stopFront() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.front == nil {
		return
	}
	_ = s.front.Close()
	s.front = nil
	for c := range s.conns {
		_ = c.Close()
	}
	clear(s.conns)
}

func (s *server) close() error {
	s.stopFront()
	return s.backend.Stop()
}

func (s *server) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.front != ln {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		go s.relay(c)
	}
}

// relay passes one client's requests to the backend and its answers back,
// spoiling them as the lift's Answer says.
func (s *server) relay(c net.Conn) {
	defer func() {
		_ = c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	b, err := net.DialTimeout("tcp", s.back, 2*time.Second)
	if err != nil {
		return
	}
	defer b.Close()
	for {
		req, err := readFrame(c)
		if err != nil {
			return
		}
		if _, err := b.Write(req); err != nil {
			return
		}
		_ = b.SetReadDeadline(time.Now().Add(5 * time.Second))
		res, err := readFrame(b)
		if err != nil {
			return
		}
		s.lift.mu.Lock()
		answer := s.lift.answer
		s.lift.mu.Unlock()
		isRead := len(res) > 7 && res[7] == 0x03
		switch {
		case answer == ShortReads && isRead && len(res) > 11:
			// A frame that says what it holds, but two bytes fewer than
			// the byte count promises.
			res = res[:len(res)-2]
			binary.BigEndian.PutUint16(res[4:6], uint16(len(res)-6))
		case answer == Garbage && isRead:
			// An MBAP header whose length field is 0, then noise.
			res = []byte{0x12, 0x34, 0x00, 0x00, 0x00, 0x00, 0xff, 0xde, 0xad, 0xbe, 0xef}
		}
		if _, err := c.Write(res); err != nil {
			return
		}
	}
}

// readFrame reads one Modbus TCP frame: the 7-byte MBAP header (its length
// field counts the unit id and the PDU) and the PDU.
func readFrame(r io.Reader) ([]byte, error) {
	h := make([]byte, 7, 7+253)
	if _, err := io.ReadFull(r, h); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(h[4:6]))
	if n < 2 || n > 254 {
		return nil, errors.New("sim: bad frame length")
	}
	body := make([]byte, n-1)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return append(h, body...), nil
}

// handler answers the library server's requests from the lift's registers.
type handler struct{ l *Lift }

func (h *handler) HandleCoils(*modbus.CoilsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h *handler) HandleDiscreteInputs(*modbus.DiscreteInputsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h *handler) HandleInputRegisters(*modbus.InputRegistersRequest) ([]uint16, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h *handler) HandleHoldingRegisters(req *modbus.HoldingRegistersRequest) ([]uint16, error) {
	l := h.l
	if req.UnitId != l.opt.UnitID {
		return nil, modbus.ErrGWTargetFailedToRespond
	}
	start := int(req.Addr) - int(l.opt.Base)
	if start < 0 || start+int(req.Quantity) > NumRegs {
		return nil, modbus.ErrIllegalDataAddress
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if req.IsWrite {
		// Only the service mode register is writable, with 0 or 1.
		for i, v := range req.Args {
			if start+i != RegServiceMode || v > 1 {
				return nil, modbus.ErrIllegalDataValue
			}
		}
		l.service = req.Args[0] == 1
		return nil, nil
	}
	if l.answer == Exceptions {
		return nil, modbus.ErrServerDeviceFailure
	}
	r := l.registers()
	return append([]uint16(nil), r[start:start+int(req.Quantity)]...), nil
}
