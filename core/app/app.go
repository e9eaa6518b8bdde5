package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/store"
)

// App is one running Wuye process.
type App struct {
	Config Config
	Log    *slog.Logger
	DB     *store.DB
	API    *httpapi.Server

	http     *http.Server
	listener net.Listener
}

// StoreConfig maps the process config onto the store's.
func (c Config) StoreConfig() store.Config {
	return store.Config{DatabaseURL: c.DatabaseURL, MigrateURL: c.MigrateURL, AppRole: c.DatabaseRole, DataDir: c.DataDir}
}

// NewLogger returns the JSON logger at the configured level.
func NewLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// New migrates the database and builds every part of the process.
func New(ctx context.Context, cfg Config) (*App, error) {
	log := NewLogger(cfg.LogLevel)
	a := &App{Config: cfg, Log: log}
	applied, err := store.Migrate(ctx, cfg.StoreConfig())
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	for _, m := range applied {
		log.Info("migration applied", "version", m.Version, "name", m.Name)
	}
	if a.DB, err = store.Open(ctx, cfg.StoreConfig()); err != nil {
		return nil, err
	}
	a.API = httpapi.New(httpapi.Deps{DB: a.DB, Log: log, MaxBodyBytes: cfg.MaxBodyBytes})
	return a, nil
}

// Listen binds the HTTP address (":0" picks a free port; see Addr).
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.Config.HTTPAddr, err)
	}
	a.listener = ln
	a.http = &http.Server{
		Handler:           a.API.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	return nil
}

// Addr is the bound address after Listen.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Serve serves HTTP until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- a.http.Serve(a.listener) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := a.http.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close releases everything New opened.
func (a *App) Close() error {
	if a.DB != nil {
		return a.DB.Close()
	}
	return nil
}
