package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/sheet"
)

// Route is one row of the route table. Every endpoint of the API is declared
// here once: its permission, whether it names a tenant object, and its request
// and response types (for OpenAPI). The BOLA and OpenAPI tests walk this table.
type Route struct {
	Method  string
	Path    string // gin syntax, e.g. /api/v1/users/:id
	Summary string
	Tag     string

	// Access: exactly one of Public, Operator, Self or Permission applies.
	Public     bool   // no credential (login, health)
	Operator   bool   // platform operators only
	Self       bool   // any signed-in principal of an active tenant, acting on itself (me, own password)
	Permission string // tenant permission from the rbac catalogue, e.g. "user.read"

	// Object is true when the path names one tenant-owned object by :id;
	// a caller from another tenant must get 404 from such a route.
	Object bool
	// NotObject, on a tenant route whose path has a parameter, says why that
	// parameter names no tenant object (a catalogue key, an enum value), so
	// the BOLA test leaves the route out. A tenant route with a path
	// parameter declares Object or NotObject (New panics otherwise).
	NotObject string
	// Idempotent marks creating POSTs that honour Idempotency-Key.
	Idempotent bool
	// ReplayRedacts are top-level fields of the success answer that are
	// never stored for an Idempotency-Key replay: secrets shown once. A replay
	// answers without them and names them in the Idempotent-Redacted header.
	ReplayRedacts []string

	Request  any // zero value of the JSON body type, or nil
	Query    any // zero value of the query-parameter struct, or nil
	Response any // zero value of the success body type, or nil
	Status   int // success status; 200 when zero

	// MaxBody caps this route's request body in bytes (file uploads); the
	// server-wide Deps.MaxBodyBytes applies when zero.
	MaxBody int64

	Handler HandlerFunc

	// Resolve makes the row a wildcard route whose handler takes over: the
	// row itself declares Self (any signed-in caller of an active tenant)
	// and, on each request, Resolve names the route the request is really
	// for (its Path a template such as /api/v1/plugins/events/activities/:id,
	// its Permission or Self, Idempotent, MaxBody, NoRequestTx, Handler);
	// the server then checks that route's permission, body cap, audit and
	// Idempotency-Key as if it were a row of the table, and labels metrics
	// and logs with its template. An error from Resolve (404) is answered as
	// it is. Used by the plugin proxy (takeover.go).
	Resolve func(c *gin.Context) (Route, error)
	// NoRequestTx, on a tenant write, runs the handler outside a request
	// transaction and audits the write after the answer: for handlers whose
	// writes happen elsewhere (a plugin process calling back into the core),
	// where a transaction held open would only block those writes.
	NoRequestTx bool

	// Import, on a POST route without a Handler, makes it a spreadsheet upload
	// (.xlsx/.csv, ?dry_run, ?good_rows_only; large files as jobs) run through
	// a fresh importer from this function: the server supplies the handler,
	// the query, the report response and the body cap.
	Import func() sheet.Importer
	// Template, on a GET route without a Handler, makes it the download of
	// this spreadsheet's template (?format=xlsx|csv).
	Template *sheet.Spec
}

// HandlerFunc handles a request; a returned error is written by writeError.
type HandlerFunc func(c *gin.Context) error

// routes are the server's own rows of the route table; each domain's
// route package contributes the rest through Deps.Routes.
func (s *Server) routes() []Route {
	var rs []Route
	rs = append(rs, s.healthRoutes()...)
	rs = append(rs, s.openAPIRoutes()...)
	rs = append(rs, s.metricsRoutes()...)
	return rs
}
