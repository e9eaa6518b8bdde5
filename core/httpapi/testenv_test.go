package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// hmacAuth is a small but real credential check: an HMAC-SHA256 signed token
// carrying the actor, as a JWT does. It stands in for identity's
// Authenticator until the lead wires that in (tests and the benchmark then
// switch to it); it is not used outside tests.
type hmacAuth struct{ secret []byte }

type tokenClaims struct {
	Kind   actor.Kind `json:"k"`
	Tenant uuid.UUID  `json:"t"`
	ID     uuid.UUID  `json:"a"`
	Roles  []string   `json:"r"`
	Exp    int64      `json:"e"`
}

func (h hmacAuth) issue(c tokenClaims) string {
	if c.Exp == 0 {
		c.Exp = time.Now().Add(time.Hour).Unix()
	}
	p, _ := json.Marshal(c)
	body := base64.RawURLEncoding.EncodeToString(p)
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte(body))
	return body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (h hmacAuth) Authenticate(_ context.Context, cred string) (actor.Actor, error) {
	body, sig, ok := strings.Cut(cred, ".")
	if !ok {
		return actor.Actor{}, apperr.Unauthenticated
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte(body))
	if err != nil || !hmac.Equal(got, m.Sum(nil)) {
		return actor.Actor{}, apperr.Unauthenticated
	}
	p, err := base64.RawURLEncoding.DecodeString(body)
	var c tokenClaims
	if err != nil || json.Unmarshal(p, &c) != nil || time.Now().Unix() > c.Exp {
		return actor.Actor{}, apperr.Unauthenticated
	}
	return actor.Actor{Kind: c.Kind, ID: c.ID, TenantID: c.Tenant, Roles: c.Roles}, nil
}

// claimRoles allows a permission when the actor's roles name it (or "*").
type claimRoles struct{}

func (claimRoles) Allowed(_ context.Context, a actor.Actor, perm string) (bool, error) {
	return slices.Contains(a.Roles, perm) || slices.Contains(a.Roles, "*"), nil
}

// widget is a tenant-owned table the tests and the benchmark create
// themselves (like core/store's rls_probe), with the production RLS policy.
type widget struct {
	TenantID  uuid.UUID `gorm:"primaryKey" json:"-"`
	ID        uuid.UUID `gorm:"primaryKey" json:"id"`
	Name      string    `json:"name"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

func (widget) TableName() string { return "test_widgets" }

const widgetSQLite = `CREATE TABLE test_widgets (tenant_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL, created_at DATETIME NOT NULL, PRIMARY KEY (tenant_id, id))`

const widgetPostgres = `CREATE TABLE test_widgets (tenant_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL, size bigint NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (tenant_id, id));
ALTER TABLE test_widgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE test_widgets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON test_widgets USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));
CREATE POLICY platform_access ON test_widgets TO wuye_platform USING (true) WITH CHECK (true);`

// widgetRequest is the representative request type: strict JSON plus Validate.
type widgetRequest struct {
	Name string   `json:"name"`
	Size int64    `json:"size"`
	Tags []string `json:"tags,omitempty"`
}

func (r widgetRequest) Validate() []apperr.FieldError {
	var fe []apperr.FieldError
	if n := len([]rune(strings.TrimSpace(r.Name))); n < 1 || n > 100 {
		fe = append(fe, apperr.FieldError{Field: "name", Code: "length", EN: "name must be 1 to 100 characters", ZH: "name 必须为 1 到 100 个字符"})
	}
	if r.Size < 0 || r.Size > 1000 {
		fe = append(fe, apperr.FieldError{Field: "size", Code: "out_of_range", EN: "size must be between 0 and 1000", ZH: "size 必须在 0 到 1000 之间"})
	}
	if len(r.Tags) > 10 {
		fe = append(fe, apperr.FieldError{Field: "tags", Code: "too_many", EN: "at most 10 tags", ZH: "最多 10 个标签"})
	}
	return fe
}

// openWithWidgets returns a migrated store of dialect d with test_widgets.
func openWithWidgets(tb testing.TB, d store.Dialect) *store.DB {
	tb.Helper()
	ctx := context.Background()
	cfg := store.Config{DataDir: tb.TempDir()}
	if d == store.Postgres {
		cfg = storetest.PostgresConfig(tb)
	}
	if _, err := store.Migrate(ctx, cfg); err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if d == store.SQLite {
		if _, err := db.SQL().Exec(widgetSQLite); err != nil {
			tb.Fatal(err)
		}
		return db
	}
	c, err := pgx.Connect(ctx, cfg.MigrateURL) // the owner creates tables
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, widgetPostgres); err != nil {
		tb.Fatal(err)
	}
	return db
}

// env is a Server over a real store with the widget routes and one tenant.
type env struct {
	t       testing.TB
	db      *store.DB
	srv     *Server
	auth    hmacAuth
	tenant  uuid.UUID
	token   string // tenant user holding every widget permission
	creates atomic.Int64
	faults  bool // names "explode" and "slow" misbehave on purpose (off for fuzzing)
}

func newEnv(tb testing.TB, d store.Dialect) *env {
	tb.Helper()
	e := &env{t: tb, db: openWithWidgets(tb, d), auth: hmacAuth{secret: []byte("test-secret-0123456789")}, tenant: store.NewID(), faults: true}
	e.token = e.tokenFor(e.tenant, "widget.read", "widget.create")
	e.srv = New(Deps{Tx: e.db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(e.db), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: e.auth, Authz: claimRoles{}, Routes: e.widgetRoutes()})
	return e
}

func (e *env) tokenFor(tenant uuid.UUID, roles ...string) string {
	return e.auth.issue(tokenClaims{Kind: actor.User, Tenant: tenant, ID: store.NewID(), Roles: roles})
}

func (e *env) widgetRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/operator/test/ping", Operator: true, Tag: "test", Summary: "An operator-only route",
			Response: HealthStatus{}, Handler: func(c *gin.Context) error { c.JSON(http.StatusOK, HealthStatus{Status: "ok"}); return nil }},
		{Method: "POST", Path: "/api/v1/test/widgets", Permission: "widget.create", Idempotent: true, Tag: "test",
			Summary: "Create a widget", Request: widgetRequest{}, Response: widget{}, Status: http.StatusCreated,
			Handler: func(c *gin.Context) error {
				var req widgetRequest
				if err := BindJSON(c, &req); err != nil {
					return err
				}
				e.creates.Add(1)
				if e.faults && req.Name == "explode" {
					return errors.New("a server-side failure")
				}
				if e.faults && req.Name == "slow" {
					time.Sleep(300 * time.Millisecond)
				}
				a, _ := actor.From(c.Request.Context())
				w := widget{Name: req.Name, Size: req.Size}
				if err := e.db.InTenant(c.Request.Context(), a.TenantID, func(tx *gorm.DB) error { return tx.Create(&w).Error }); err != nil {
					return err
				}
				c.JSON(http.StatusCreated, w)
				return nil
			}},
		{Method: "GET", Path: "/api/v1/test/widgets/:id", Permission: "widget.read", Object: true, Tag: "test",
			Summary: "Read a widget", Response: widget{}, Handler: func(c *gin.Context) error {
				id, err := PathID(c, "id")
				if err != nil {
					return err
				}
				a, _ := actor.From(c.Request.Context())
				var w widget
				if err := e.db.InTenant(c.Request.Context(), a.TenantID, func(tx *gorm.DB) error { return tx.Take(&w, "id = ?", id).Error }); err != nil {
					return err
				}
				c.JSON(http.StatusOK, w)
				return nil
			}},
		{Method: "GET", Path: "/api/v1/test/widgets", Permission: "widget.read", Tag: "test",
			Summary: "List widgets", Query: PageQuery{}, Response: Page[widget]{}, Handler: func(c *gin.Context) error {
				p, order, err := pageQuery(c, "name", "created_at")
				if err != nil {
					return err
				}
				if order == "" {
					order = "created_at"
				}
				a, _ := actor.From(c.Request.Context())
				out := Page[widget]{Items: []widget{}, Page: p.Page, PageSize: p.PageSize}
				err = e.db.InTenant(c.Request.Context(), a.TenantID, func(tx *gorm.DB) error {
					if n := c.Query("name"); n != "" { // reaches the engine with any query text (fuzzing)
						tx = tx.Where("name = ?", n)
					}
					if err := tx.Model(&widget{}).Count(&out.Total).Error; err != nil {
						return err
					}
					return tx.Order(order).Offset(p.offset()).Limit(p.PageSize).Find(&out.Items).Error
				})
				if err != nil {
					return err
				}
				c.JSON(http.StatusOK, out)
				return nil
			}},
	}
}

// call sends one request through the whole handler.
func (e *env) call(method, path, token, body string, hdr ...string) *httptest.ResponseRecorder {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, req)
	return w
}

// apiError decodes the error shape, failing the test when it is not one.
func apiError(t testing.TB, w *httptest.ResponseRecorder) errorDetail {
	t.Helper()
	var b struct {
		Error *errorDetail `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || b.Error == nil || b.Error.Code == "" || b.Error.Message == "" {
		t.Fatalf("status %d: body is not the error shape (%v): %q", w.Code, err, w.Body.String())
	}
	return *b.Error
}

func dialects(t *testing.T, fn func(t *testing.T, d store.Dialect)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, store.SQLite) })
	t.Run("postgres", func(t *testing.T) { storetest.PostgresURL(t); fn(t, store.Postgres) })
}
