// Package httpapi is the HTTP face of the core: the gin router, the route
// table, and the middleware every request passes (request id, security
// headers, body limit, authentication, tenant gate, RBAC, audit, errors).
// Handlers decode and validate input, call domain packages, and write JSON.
package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/sheet"
)

// Authenticator turns a bearer credential (access JWT or API key) into an actor.
type Authenticator interface {
	Authenticate(ctx context.Context, credential string) (actor.Actor, error)
}

// Authorizer decides whether an actor of a tenant holds a permission.
type Authorizer interface {
	Allowed(ctx context.Context, a actor.Actor, permission string) (bool, error)
}

// TenantGate refuses requests of tenants that are suspended or deleted.
type TenantGate interface {
	CheckActive(ctx context.Context, tenantID uuid.UUID) error
}

// TxOpener opens the request transaction of a tenant's write and reads a
// context's transaction state; *store.DB satisfies it. The service calls a
// handler makes with the context fn receives join that transaction, and so
// do the audit entry and the idempotency record.
type TxOpener interface {
	InRequest(ctx context.Context, tenantID uuid.UUID, fn func(ctx context.Context) error) error
	// InRequestTx reports whether ctx carries a request transaction.
	InRequestTx(ctx context.Context) bool
	// Detach returns ctx without its request transaction.
	Detach(ctx context.Context) context.Context
	// ReadMostly marks a GET's context: on SQLite its reads never queue behind a write.
	ReadMostly(ctx context.Context) context.Context
}

// JobStarter queues a job of kind with its input payload and returns the id
// the caller polls.
type JobStarter func(ctx context.Context, tenantID uuid.UUID, kind string, payload []byte) (jobID string, err error)

// Deps are what the API needs from the rest of the core: interfaces only
// (the domains' services reach it as route rows in Routes).
type Deps struct {
	Log    *slog.Logger
	Auth   Authenticator
	Authz  Authorizer
	Tenant TenantGate
	// Tx opens the request transaction of a tenant's write; nil runs writes
	// without one (tests of a single handler).
	Tx TxOpener
	// Audit records every write and every refusal; nil records nothing. A
	// RequestRecorder writes inside the request transaction. A tenant
	// principal's requests go to its tenant's log, the rest (operators,
	// requests refused before anyone is known) to the platform's.
	Audit audit.PlatformRecorder
	// Idempotency keeps Idempotency-Key answers; nil ignores the header.
	Idempotency IdempotencyStore
	// Probes are readiness checks (the database, the queue's Redis, …).
	Probes map[string]func(context.Context) error
	// MaxBodyBytes bounds request bodies (413 beyond); 1 MiB when zero.
	MaxBodyBytes int64
	// Collectors are extra Prometheus collectors (the database's, the queue's) served on /metrics.
	Collectors []prometheus.Collector
	// MetricsDisabled leaves /metrics out of the route table.
	MetricsDisabled bool
	// TrustedProxies are the addresses (IPs or CIDRs) of reverse proxies whose
	// X-Forwarded-For / X-Real-IP name the client; from anyone else those
	// headers are ignored and the client is the connection's address. Empty
	// (the default) trusts none, so a caller cannot pick the address the
	// login limiter and the audit see. See ParseTrustedProxies.
	TrustedProxies []string
	// Routes are the domains' rows of the route table (identityapi.Routes, …).
	Routes []Route
	// MaxExportRows caps a list exported as a file (?format=xlsx|csv);
	// DefaultMaxExportRows when zero.
	MaxExportRows int
	// StartJob queues long work (a large import) as a job whose input is
	// payload, kept durably so any node can run it there with RunJob, and
	// returns the id of a job the caller polls; nil runs every import
	// synchronously.
	StartJob JobStarter
	// IsNotFound recognises the store's "no such row" that a domain forgot to
	// map, so it still answers 404 rather than 500 (store.IsNotFound).
	IsNotFound func(error) bool
	// Sheets runs spreadsheet imports in a tenant's transaction (*store.DB).
	Sheets sheet.TenantTx
	// ExtraOpenAPI lists routes served by a Resolve row (plugins' routes)
	// that the served OpenAPI document and docs page describe besides the
	// table; it is asked on each request for them, and the document is
	// rebuilt only when the list changes. Nil: the table alone.
	ExtraOpenAPI func(ctx context.Context) []Route
}

// Server is the API.
type Server struct {
	Deps
	log     *slog.Logger
	engine  *gin.Engine
	table   []Route
	metrics *metrics
	// bodyLimits are the routes' own body caps by "METHOD /path".
	bodyLimits map[string]int64
	// importers make the table's spreadsheet importers, so a queued
	// import runs on any node (RunJob).
	importers []func() sheet.Importer

	openAPIJSON []byte // built once from the table
	docsHTML    []byte
	extraDocs   extraDocs // the table's document with ExtraOpenAPI's routes (takeover.go)
}

// New builds the router from the route table.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.MaxBodyBytes == 0 {
		d.MaxBodyBytes = 1 << 20
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{Deps: d, log: d.Log, metrics: newMetrics(d)}
	e := gin.New()
	e.ContextWithFallback = true
	e.HandleMethodNotAllowed = false
	// gin trusts forwarding headers from everyone unless told otherwise.
	if err := e.SetTrustedProxies(d.TrustedProxies); err != nil {
		d.Log.Error("httpapi: bad trusted proxies; trusting none", slog.Any("err", err))
		e.SetTrustedProxies(nil)
	}
	e.Use(s.metrics.observe, s.recoverer, s.requestID, s.securityHeaders, s.bodyLimit, s.accessLog, s.refuseNUL)
	e.NoRoute(s.notFound)
	s.table = append(s.routes(), d.Routes...)
	for i := range s.table {
		s.table[i] = s.fillSpreadsheet(s.table[i])
	}
	s.bodyLimits = map[string]int64{}
	for _, r := range s.table {
		if r.MaxBody > 0 {
			s.bodyLimits[r.Method+" "+r.Path] = r.MaxBody
		}
	}
	for _, r := range s.table {
		checkAccess(r)
		if r.Resolve != nil {
			e.Handle(r.Method, r.Path, s.takeoverChain(r)...)
			continue
		}
		hs := []gin.HandlerFunc{s.access(r), s.auditWrites(r)}
		if r.Idempotent && !r.Public {
			hs = append(hs, s.idempotency(r))
		}
		e.Handle(r.Method, r.Path, append(hs, s.wrap(s.exportable(r)))...)
	}
	s.engine = e
	// The document is a pure function of the table; a failure here is a
	// programming error every test would show.
	doc := s.OpenAPI()
	var err error
	if s.openAPIJSON, err = json.Marshal(doc); err != nil {
		panic("httpapi: openapi document: " + err.Error())
	}
	if s.docsHTML, err = docsPage(doc); err != nil {
		panic("httpapi: docs page: " + err.Error())
	}
	return s
}

// ParseTrustedProxies reads a comma-separated list of IPs and CIDRs
// (WUYE_TRUSTED_PROXIES); blank entries are skipped.
func ParseTrustedProxies(list string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				return nil, fmt.Errorf("trusted proxy %q is neither an IP address nor a CIDR", p)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// Handler returns the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes returns the route table (for tests and the OpenAPI document).
func (s *Server) Routes() []Route { return s.table }
