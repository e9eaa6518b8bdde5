package sim

import (
	"fmt"
	"io"
	"log/slog"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Server is an embedded MQTT broker (mochi-mqtt) that accepts any client:
// for the embedded demo and for tests that restart the broker.
type Server struct {
	srv   *mochi.Server
	addr  string
	close sync.Once
}

// Broker starts an embedded broker listening on addr ("127.0.0.1:0" picks
// a free port; Addr tells which).
func Broker(addr string) (*Server, error) {
	srv := mochi.New(&mochi.Options{
		InlineClient: true,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, err
	}
	l := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := srv.AddListener(l); err != nil {
		return nil, fmt.Errorf("sim: broker on %s: %w", addr, err)
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return nil, err
	}
	return &Server{srv: srv, addr: l.Address()}, nil
}

// Addr is the host:port the broker listens on.
func (s *Server) Addr() string { return s.addr }

// Close stops the broker and drops its clients (they see a lost
// connection). Retained messages are lost with it.
// Closing twice is harmless.
func (s *Server) Close() error {
	var err error
	s.close.Do(func() { err = s.srv.Close() })
	return err
}
