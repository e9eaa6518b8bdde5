package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/asset/assetapi"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/audit/auditapi"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/billing/billingapi"
	"github.com/wuye-project/wuye/core/device"
	"github.com/wuye-project/wuye/core/device/deviceapi"
	"github.com/wuye-project/wuye/core/device/eventapi"
	"github.com/wuye-project/wuye/core/device/stream"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/fee/feeapi"
	"github.com/wuye-project/wuye/core/finance"
	"github.com/wuye-project/wuye/core/finance/financeapi"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/identity/identityapi"
	"github.com/wuye-project/wuye/core/notify"
	"github.com/wuye-project/wuye/core/notify/notifyapi"
	"github.com/wuye-project/wuye/core/patrol"
	"github.com/wuye-project/wuye/core/patrol/patrolapi"
	"github.com/wuye-project/wuye/core/payment"
	"github.com/wuye-project/wuye/core/payment/paymentapi"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
	"github.com/wuye-project/wuye/core/pluginhost/hostsvc"
	"github.com/wuye-project/wuye/core/pluginhost/pluginapi"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/property/propertyapi"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/queue/queueapi"
	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/core/rbac/rbacapi"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/resident/residentapi"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/survey"
	"github.com/wuye-project/wuye/core/survey/surveyapi"
	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/core/tenant/tenantapi"
	"github.com/wuye-project/wuye/core/workorder"
	"github.com/wuye-project/wuye/core/workorder/workorderapi"
)

// App is one running Wuye process.
type App struct {
	Config    Config
	Log       *slog.Logger
	DB        *store.DB
	Queue     *queue.Queue
	Audit     *audit.Log
	RBAC      *rbac.Enforcer
	Identity  *identity.Service
	Tenants   *tenant.Service
	Property  *property.Service
	Assets    *asset.Service
	Residents *resident.Service
	Fees      *fee.Service
	Billing   *billing.Service
	Finance   *finance.Service
	Payments  *payment.Service
	// WorkOrders is the service desk's work orders.
	WorkOrders *workorder.Service
	Patrol     *patrol.Service
	Surveys    *survey.Service
	Devices    *device.Service
	Notify     *notify.Service
	API        *httpapi.Server
	// Idempotency keeps the answers of Idempotency-Key requests.
	Idempotency *idempotency.Store
	// PluginBus carries core and plugin events and plugin tasks (pluginbus.go).
	PluginBus *bus.Bus
	plugins   pluginSeams
	// Plugins is the plugin catalogue and tenants' enablement (plugins.go).
	Plugins *catalogue.Catalogue
	// Supervisor runs the tenants' plugin processes (pluginruntime.go).
	Supervisor *pluginhost.Supervisor
	// DeviceStream is the device events' log and dispatcher (devicestream.go).
	DeviceStream *stream.Stream
	hostDevs     hostsvc.Devices // the registry with the stream's Emit, for plugins

	limitRC  *redis.Client // the login limiter's own Redis client, when one is configured
	http     *http.Server
	listener net.Listener
	stop     context.CancelFunc
	bg       sync.WaitGroup
}

// StoreConfig maps the process config onto the store's.
func (c Config) StoreConfig() store.Config {
	return store.Config{DatabaseURL: c.DatabaseURL, PlatformURL: c.PlatformURL, MigrateURL: c.MigrateURL, DataDir: c.DataDir}
}

// NewLogger returns the JSON logger at the configured level.
func NewLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// New migrates the database and builds every part of the process. Nothing
// runs in the background until Start.
func New(ctx context.Context, cfg Config) (_ *App, err error) {
	log := NewLogger(cfg.LogLevel)
	a := &App{Config: cfg, Log: log}
	defer func() {
		if err != nil {
			a.Close() // what was opened before the failure
		}
	}()
	// On PostgreSQL only the owner can migrate; without its login (WUYE_MIGRATE_URL)
	// the server expects `wuye migrate up` to have run, and its role checks say so if not.
	if cfg.DatabaseURL == "" || cfg.MigrateURL != "" {
		applied, err := store.Migrate(ctx, cfg.StoreConfig())
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		for _, m := range applied {
			log.Info("migration applied", "version", m.Version, "name", m.Name)
		}
	}
	if a.DB, err = store.Open(ctx, cfg.StoreConfig()); err != nil {
		return nil, err
	}
	if cfg.DatabaseURL != "" && (cfg.JWTSecret == "" || cfg.PIIKeys == "") {
		log.Warn("secrets are generated into the data dir; with more than one node set WUYE_JWT_SECRET and WUYE_PII_* so all nodes share them", "data_dir", cfg.DataDir)
	}
	secret, err := a.jwtSecret()
	if err != nil {
		return nil, err
	}
	piiCfg, err := a.piiConfig()
	if err != nil {
		return nil, err
	}

	a.Audit = audit.NewLog(a.DB)
	if a.RBAC, err = rbac.New(ctx, a.DB, log); err != nil {
		return nil, err
	}
	limiter, err := a.loginLimiter(ctx)
	if err != nil {
		return nil, err
	}
	a.Identity = identity.New(a.DB, identity.Config{JWTSecret: secret, Log: log, Limiter: limiter, LoginPerMinute: float64(cfg.LoginPerMinute), LoginBurst: cfg.LoginBurst}, a.Audit, a.RBAC)
	a.Tenants = tenant.New(a.DB, tenant.Options{
		Audit: a.Audit,
		Log:   log,
		Hooks: []tenant.ProvisionHook{a.provisionUser},
		Committed: func(ctx context.Context, id uuid.UUID) {
			a.reloadRoles(ctx, id)
			a.syncPlugins(ctx, id)
			a.syncDevices(ctx, id)
		},
	})
	a.Identity.TenantGate = a.Tenants.CheckActive
	if a.Property, err = property.New(a.DB, a.Tenants.CheckQuota, residentOccupancy{a}); err != nil {
		return nil, err
	}
	// Due views count days in the tenant's zone.
	if a.Assets, err = asset.New(a.DB, assetPlaces{a.Property}, asset.WithZone(a.Tenants.Location), asset.WithDevices(a.deviceExists)); err != nil {
		return nil, err
	}
	if a.Residents, err = resident.New(a.DB, piiCfg, resident.Deps{Rooms: NewRoomDirectory(a.Property), Perms: a.RBAC, Audit: a.Audit, Accounts: residentAccounts{a.Identity}}); err != nil {
		return nil, err
	}
	if a.Fees, err = fee.New(a.DB, feeRooms{a.Property}, feeResidents{a.Residents}); err != nil {
		return nil, err
	}
	if a.Billing, err = a.newBilling(); err != nil {
		return nil, err
	}
	if a.Finance, err = a.newFinance(); err != nil {
		return nil, err
	}
	if a.Notify, err = a.newNotify(); err != nil {
		return nil, err
	}
	if a.WorkOrders, err = a.newWorkOrders(); err != nil {
		return nil, err
	}
	if a.Patrol, err = a.newPatrol(); err != nil {
		return nil, err
	}
	if a.Surveys, err = a.newSurvey(); err != nil {
		return nil, err
	}
	a.connectDomains()
	a.connectBilling()
	a.connectFinance()
	a.connectWorkOrders()
	a.connectPatrol()
	a.connectSurvey()
	a.connectNotify()
	if err := a.newPayments(); err != nil {
		return nil, err
	}
	a.newPlugins()
	if err := a.newDevices(); err != nil {
		return nil, err
	}
	var ingressRoutes []httpapi.Route
	var streamCollectors []prometheus.Collector
	if a.hostDevs, ingressRoutes, streamCollectors, err = a.newDeviceStream(deviceRegistry{device.HostDevices{S: a.Devices}}); err != nil {
		return nil, err
	}
	pluginProxy, err := a.newPluginRuntime()
	if err != nil {
		return nil, err
	}

	if a.Queue, err = queue.Open(ctx, queue.Config{RedisAddr: cfg.RedisAddr, RedisPassword: cfg.RedisPass, Namespace: cfg.QueueNamespace}, a.DB, log); err != nil {
		return nil, err
	}
	proxies, err := httpapi.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("config: WUYE_TRUSTED_PROXIES: %w", err)
	}
	a.Idempotency = idempotency.New(a.DB)
	var routes []httpapi.Route
	routes = append(routes, identityapi.Routes(a.Identity)...)
	routes = append(routes, tenantapi.Routes(a.Tenants)...)
	routes = append(routes, rbacapi.Routes(a.RBAC, func(ctx context.Context, tenantID, userID uuid.UUID) error {
		_, err := a.Identity.GetUser(ctx, tenantID, userID)
		return err
	})...)
	routes = append(routes, auditapi.Routes(a.Audit)...)
	routes = append(routes, queueapi.Routes(a.Queue)...)
	routes = append(routes, propertyapi.Routes(a.Property)...)
	routes = append(routes, assetapi.Routes(a.Assets)...)
	routes = append(routes, residentapi.Routes(a.Residents)...)
	routes = append(routes, feeapi.Routes(a.Fees)...)
	routes = append(routes, billingapi.Routes(a.Billing)...)
	routes = append(routes, financeapi.Routes(a.Finance)...)
	routes = append(routes, paymentapi.Routes(a.Payments)...)
	routes = append(routes, workorderapi.Routes(a.WorkOrders)...)
	routes = append(routes, patrolapi.Routes(a.Patrol)...)
	routes = append(routes, surveyapi.Routes(a.Surveys)...)
	routes = append(routes, notifyapi.Routes(a.Notify)...)
	routes = append(routes, deviceapi.Routes(a.Devices)...)
	routes = append(routes, ingressRoutes...)
	routes = append(routes, eventapi.Routes(a.DeviceStream)...)
	routes = append(routes, pluginapi.CatalogueRoutes(a.Plugins)...)
	routes = append(routes, pluginapi.MyPagesRoute(a.Plugins, a.RBAC))
	routes = append(routes, pluginapi.ProcessRoutes(a.Supervisor)...)
	routes = append(routes, pluginProxy.Routes()...)
	a.API = httpapi.New(httpapi.Deps{
		Log: log, MaxBodyBytes: cfg.MaxBodyBytes, MetricsDisabled: cfg.MetricsDisabled, TrustedProxies: proxies,
		Auth: a.Identity, Authz: a.RBAC, Tenant: a.Tenants,
		Tx: a.DB, Audit: a.Audit, Idempotency: a.Idempotency, Sheets: a.DB, IsNotFound: store.IsNotFound,
		Collectors: append(append(append(a.Queue.Collectors(), collectors.NewDBStatsCollector(a.DB.SQL(), string(a.DB.Dialect()))),
			a.Supervisor.Collectors()...), append(pluginProxy.Collectors(), streamCollectors...)...),
		ExtraOpenAPI: pluginProxy.OpenAPI,
		Probes:       map[string]func(context.Context) error{"database": a.DB.Ping, "queue": a.Queue.Ping},
		Routes:       routes,
		StartJob:     a.startJob,
	})
	if err := a.registerTasks(); err != nil {
		return nil, err
	}
	if err := a.registerPaymentTasks(); err != nil {
		return nil, err
	}
	a.registerNotifyTasks()
	if err := a.newPluginBus(); err != nil {
		return nil, err
	}
	return a, nil
}

// loginLimiter shares the per-address login budget between API nodes through
// Redis when one is configured, on a client of its own (the queue's pool is
// sized for its workers); the embedded default keeps it in process memory (nil).
// Keys are namespaced like the queue's, so installations sharing a Redis do
// not limit each other.
func (a *App) loginLimiter(ctx context.Context) (identity.LoginLimiter, error) {
	c := a.Config
	if c.RedisAddr == "" {
		return nil, nil
	}
	rc := redis.NewClient(&redis.Options{Addr: c.RedisAddr, Password: c.RedisPass, PoolSize: 8})
	if err := rc.Ping(ctx).Err(); err != nil {
		rc.Close()
		return nil, fmt.Errorf("login limiter: redis %s: %w", c.RedisAddr, err)
	}
	a.limitRC = rc
	prefix := "wuye:login:"
	if c.QueueNamespace != "" {
		prefix = "wuye:" + c.QueueNamespace + ":login:"
	}
	return identity.NewRedisLimiter(rc, prefix, float64(c.LoginPerMinute), c.LoginBurst), nil
}

// Start runs the background parts: queue workers, relay and scheduler, and
// the RBAC poll that follows other processes' role changes, and identity's
// poll of ended sessions (loaded once first, so a revoked token never passes).
func (a *App) Start(ctx context.Context) error {
	ctx, a.stop = context.WithCancel(context.WithoutCancel(ctx))
	if err := a.Identity.PollRevocations(ctx); err != nil {
		return err
	}
	if err := a.Queue.Start(ctx); err != nil {
		return err
	}
	a.runPluginBus(ctx)
	a.runDeviceStream(ctx)
	a.startPlugins(ctx)
	a.runDevices(ctx)
	a.bg.Add(2)
	go func() {
		defer a.bg.Done()
		a.RBAC.Run(ctx, rbac.PollInterval)
	}()
	go func() {
		defer a.bg.Done()
		a.Identity.Run(ctx, identity.RevocationPollInterval)
	}()
	return nil
}

// Listen binds the HTTP address (":0" picks a free port; see Addr).
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.Config.HTTPAddr, err)
	}
	a.listener = ln
	a.http = &http.Server{
		Handler:           a.withConsole(a.API.Handler()),
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

// Close stops the background parts and releases everything New opened.
func (a *App) Close() error {
	if a.stop != nil {
		a.stop()
	}
	a.bg.Wait()
	a.closeDeviceStream()
	var errs []error
	if a.Supervisor != nil { // plugins first: their last calls may still reach the database
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		errs = append(errs, a.Supervisor.Shutdown(ctx))
		cancel()
	}
	if a.Queue != nil {
		errs = append(errs, a.Queue.Close())
	}
	if a.limitRC != nil {
		errs = append(errs, a.limitRC.Close())
	}
	if a.DB != nil {
		errs = append(errs, a.DB.Close())
	}
	return errors.Join(errs...)
}
