package audit

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// row is one stored entry of the audit_log table.
type row struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	At        time.Time
	ActorKind string
	ActorID   uuid.UUID
	ActorName string
	Action    string
	Object    string
	Result    string
	Detail    string
	IP        string `gorm:"column:ip"`
	RequestID string

	Method     string
	Route      string
	ObjectType string
	ObjectID   string
	Status     int
	DryRun     bool
	Changes    string // JSON array of Change; empty when none
}

func (row) TableName() string { return "audit_log" }

// Limits that keep one entry small whatever a caller passes in.
const (
	maxText   = 512
	maxDetail = 2000
	// maxChanges bounds the changes' JSON; beyond it only the field names stay.
	maxChanges = 16000
)

// encodeChanges stores cs as JSON; when too long it keeps the field names only.
func encodeChanges(cs []Change) string {
	if len(cs) == 0 {
		return ""
	}
	b, err := json.Marshal(cs)
	if err == nil && len(b) <= maxChanges {
		return string(b)
	}
	names := make([]Change, 0, len(cs))
	for _, c := range cs {
		names = append(names, Change{Field: clip(c.Field, 100), After: "[too long to record]"})
	}
	b, _ = json.Marshal(names)
	if len(b) > maxChanges {
		b, _ = json.Marshal([]Change{{Field: "*", After: "[too many changes to record]"}})
	}
	return string(b)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so the column stays valid UTF-8.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func toRow(e Entry) row {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if e.ActorKind == "" {
		e.ActorKind = "anonymous"
	}
	return row{
		TenantID: e.TenantID, At: e.At.UTC(), ActorKind: clip(e.ActorKind, 32), ActorID: e.ActorID,
		ActorName: clip(e.ActorName, maxText), Action: clip(e.Action, maxText), Object: clip(e.Object, maxText),
		Result: clip(e.Result, 32), Detail: clip(e.Detail, maxDetail), IP: clip(e.IP, 64), RequestID: clip(e.RequestID, 64),
		Method: clip(e.Method, 16), Route: clip(e.Route, maxText), ObjectType: clip(e.ObjectType, 64), ObjectID: clip(e.ObjectID, 200),
		Status: e.Status, DryRun: e.DryRun, Changes: encodeChanges(e.Changes),
	}
}

// Item is a stored entry as queries return it.
type Item struct {
	ID uuid.UUID
	Entry
}

func (r row) item() Item {
	return Item{ID: r.ID, Entry: Entry{
		TenantID: r.TenantID, ActorKind: r.ActorKind, ActorID: r.ActorID, ActorName: r.ActorName,
		Action: r.Action, Object: r.Object, Result: r.Result, Detail: r.Detail, IP: r.IP,
		RequestID: r.RequestID, At: r.At, Method: r.Method, Route: r.Route, ObjectType: r.ObjectType,
		ObjectID: r.ObjectID, Status: r.Status, DryRun: r.DryRun, Changes: decodeChanges(r.Changes),
	}}
}

func decodeChanges(s string) []Change {
	if s == "" {
		return nil
	}
	var cs []Change
	_ = json.Unmarshal([]byte(s), &cs)
	return cs
}

// Log is the audit log in the database. It implements Recorder.
type Log struct {
	db *store.DB
}

// NewLog returns the audit log kept in db.
func NewLog(db *store.DB) *Log { return &Log{db: db} }

// Record appends a tenant's entry in a transaction of its own (or the
// request's, when ctx carries one). An entry without a tenant is refused
// (store.ErrNoTenant): a platform event goes through RecordPlatform, so a
// tenant whose id was lost on the way never lands in the platform's log.
func (l *Log) Record(ctx context.Context, e Entry) error {
	// The entry must be written even when the request that caused it was cancelled.
	ctx = context.WithoutCancel(ctx)
	return l.db.InTenant(ctx, e.TenantID, func(tx *gorm.DB) error { return RecordTx(tx, e) })
}

// ErrPlatformTenant refuses a platform entry that names a tenant.
var ErrPlatformTenant = errors.New("audit: a platform entry has no tenant; record a tenant's entry with Record")

// RecordPlatform appends a platform event (an operator action, a failure
// before any tenant is known) in a platform transaction of its own.
func (l *Log) RecordPlatform(ctx context.Context, e Entry) error {
	if e.TenantID != uuid.Nil {
		return ErrPlatformTenant
	}
	ctx = context.WithoutCancel(ctx)
	return l.db.Platform(ctx, func(tx *gorm.DB) error { return RecordTx(tx, e) })
}

// TxRecorder is a Recorder that can also write inside the caller's
// transaction, so the entry commits or rolls back with the change it describes.
type TxRecorder interface {
	Recorder
	RecordTx(tx *gorm.DB, e Entry) error
}

// RecordInRequest appends e inside the request transaction ctx carries
// (InTenant of e's tenant joins it), so the entry commits or rolls back with
// the write it describes. httpapi calls it through an interface of its own.
func (l *Log) RecordInRequest(ctx context.Context, e Entry) error {
	return l.db.InTenant(ctx, e.TenantID, func(tx *gorm.DB) error { return l.RecordTx(tx, e) })
}

// RecordTx appends e inside tx; see the package function RecordTx.
func (l *Log) RecordTx(tx *gorm.DB, e Entry) error { return RecordTx(tx, e) }

// RecordTx appends e inside the caller's transaction (InTenant of e's tenant
// or Platform), so the entry commits or rolls back with the change it describes.
func RecordTx(tx *gorm.DB, e Entry) error {
	r := toRow(e)
	return tx.Create(&r).Error
}

// Filter narrows a query of the log. Zero fields do not filter. Which
// tenant's entries a query reads is not a filter: List reads one tenant's,
// ListPlatform the platform's and every tenant's.
type Filter struct {
	ActorID      uuid.UUID
	ActorName    string // prefix, case-insensitive
	ActionPrefix string // e.g. "user." matches user.create and user.update
	Method       string // exact, e.g. DELETE
	ObjectType   string // exact, e.g. room
	ObjectID     string // exact
	Result       string
	DryRun       *bool
	From, To     time.Time // From inclusive, To exclusive
}

// List returns one page of one tenant's entries matching f, newest first,
// and how many match in all. A nil tenant is refused (store.ErrNoTenant).
func (l *Log) List(ctx context.Context, tenantID uuid.UUID, f Filter, offset, limit int) ([]Item, int64, error) {
	var (
		rows  []row
		total int64
	)
	err := l.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return f.query(tx.Model(&row{}).Where("tenant_id = ?", tenantID), offset, limit, &rows, &total)
	})
	return items(rows), total, err
}

// PlatformQuery selects whose entries ListPlatform reads.
type PlatformQuery struct {
	// Tenant limits the query to one tenant's entries; PlatformOnly to the
	// platform's own (operator actions, failures before a tenant is known);
	// neither reads everything.
	Tenant       *uuid.UUID
	PlatformOnly bool
}

// ListPlatform is List across tenants, for operators.
func (l *Log) ListPlatform(ctx context.Context, pq PlatformQuery, f Filter, offset, limit int) ([]Item, int64, error) {
	var (
		rows  []row
		total int64
	)
	err := l.db.Platform(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&row{})
		switch {
		case pq.Tenant != nil && pq.PlatformOnly:
			return apperr.Invalid
		case pq.Tenant != nil:
			q = q.Where("tenant_id = ?", *pq.Tenant)
		case pq.PlatformOnly:
			q = q.Where("tenant_id = ?", uuid.Nil)
		}
		return f.query(q, offset, limit, &rows, &total)
	})
	return items(rows), total, err
}

func items(rows []row) []Item {
	out := make([]Item, len(rows))
	for i, r := range rows {
		out[i] = r.item()
	}
	return out
}

// query narrows q by f and reads one page and the total.
func (f Filter) query(q *gorm.DB, offset, limit int, rows *[]row, total *int64) error {
	if f.ActorID != uuid.Nil {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.ActorName != "" {
		q = q.Where(`LOWER(actor_name) LIKE ? ESCAPE '\'`, likePrefix(strings.ToLower(f.ActorName)))
	}
	if f.Method != "" {
		q = q.Where("method = ?", f.Method)
	}
	if f.ObjectType != "" {
		q = q.Where("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		q = q.Where("object_id = ?", f.ObjectID)
	}
	if f.DryRun != nil {
		q = q.Where("dry_run = ?", *f.DryRun)
	}
	if f.ActionPrefix != "" {
		q = q.Where(`action LIKE ? ESCAPE '\'`, likePrefix(f.ActionPrefix))
	}
	if f.Result != "" {
		q = q.Where("result = ?", f.Result)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	if err := q.Count(total).Error; err != nil {
		return err
	}
	return q.Order("at DESC").Order("id DESC").Offset(offset).Limit(limit).Find(rows).Error
}

// likePrefix escapes LIKE wildcards in p and appends %.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "%"
}
