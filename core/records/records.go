// Package records is the plugins' records store: collections of JSON
// documents a plugin keeps in the core's database (Host.PutRecord and
// friends), tenant-owned and under row-level security like any other tenant
// data. Each document's declared indexed fields (Manifest.collections) are
// copied into a side table, one row per (record, field), with the value
// encoded so that text order is value order; queries filter and sort on that
// table, and a unique field is a unique index on it, so "exactly one wins"
// holds under concurrent writes on both engines.
//
// The store knows nothing of plugins' processes: the host services pass the
// tenant, the plugin's name and the collection's declaration on every call.
package records

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// Limits of one document and one query.
const (
	MaxDocument    = 256 << 10 // bytes of a document's JSON
	MaxIDLen       = 200       // bytes of a record id
	MaxIndexedText = 1000      // bytes of an indexed string value (the index must stay small)
	MaxLimit       = 1000      // records per query page
	DefaultLimit   = 100
	MaxFilters     = 16
	MaxInValues    = 100
)

// Index is one declared indexed field of a collection.
type Index struct {
	Field  string
	Unique bool
}

// Collection is a collection as the plugin's manifest declares it.
type Collection struct {
	Name    string
	Indexes []Index
}

func (c Collection) index(field string) (Index, bool) {
	for _, ix := range c.Indexes {
		if ix.Field == field {
			return ix, true
		}
	}
	return Index{}, false
}

// Record is one stored document.
type Record struct {
	Collection string
	ID         string
	Version    int64 // 1 on create, +1 on every write
	Document   json.RawMessage
	CreatedAt  int64 // unix milliseconds
	UpdatedAt  int64
}

// Filter is one condition of a query: Field is an indexed field or "id";
// Op one of eq, ne, lt, lte, gt, gte, in, prefix; Value JSON (an array for in).
type Filter struct {
	Field string
	Op    string
	Value json.RawMessage
}

// Query is a page of a collection: records matching every filter, in the
// order of OrderBy (an indexed field, "id", "created_at" or "updated_at";
// "id" when empty) and then id, after Cursor.
type Query struct {
	Filters    []Filter
	OrderBy    string
	Descending bool
	Limit      int // DefaultLimit when 0, at most MaxLimit
	Cursor     string
}

// Errors. The codes are the contract's (sdk/proto/plugin.proto).
var (
	ErrNotFound        = apperr.New(apperr.KindNotFound, "not_found", "No such record.", "记录不存在。")
	ErrExists          = apperr.New(apperr.KindConflict, "already_exists", "A record with this id already exists.", "该编号的记录已存在。")
	ErrDuplicate       = apperr.New(apperr.KindConflict, "duplicate", "Another record already has this value of a unique field.", "唯一字段的值已被另一条记录使用。")
	ErrVersionConflict = apperr.New(apperr.KindConflict, "version_conflict", "The record was changed since it was read (version conflict); read it again.", "记录在读取后已被修改(版本冲突),请重新读取。")
	ErrTooLarge        = apperr.New(apperr.KindTooLarge, "document_too_large", "The document is larger than 256 KiB.", "文档超过 256 KiB。")
	ErrUnknownColl     = apperr.New(apperr.KindInvalid, "unknown_collection", "The plugin's manifest declares no such collection.", "插件清单未声明该集合。")
)

// Store reads and writes records.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// New returns the store over db.
func New(db *store.DB) *Store { return &Store{db: db, now: time.Now} }

func invalid(field, code, en, zh string) error {
	return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: field, Code: code, EN: en, ZH: zh}})
}

func checkKey(plugin, collection, id string) error {
	if plugin == "" || collection == "" || len(collection) > 100 {
		return ErrUnknownColl
	}
	if id == "" || len(id) > MaxIDLen || !utf8.ValidString(id) || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return invalid("id", "invalid_id", "id is 1–200 bytes of printable text", "编号须为 1–200 字节的可打印文本")
	}
	return nil
}

// encode turns a JSON scalar into its index text: "s:" strings, "n:" numbers
// (order-preserving hex of the float64), "b:0"/"b:1" booleans. ok is false
// for null, objects and arrays, which are not indexed.
func encode(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return "s:" + x, true
	case float64:
		if x == 0 {
			x = 0 // -0 sorts with 0
		}
		b := math.Float64bits(x)
		if b&(1<<63) != 0 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		var buf [8]byte
		for i := 7; i >= 0; i-- {
			buf[i] = byte(b)
			b >>= 8
		}
		return "n:" + hex.EncodeToString(buf[:]), true
	case bool:
		if x {
			return "b:1", true
		}
		return "b:0", true
	}
	return "", false
}

// typeRange is the [lo, hi) of every encoded value of enc's type.
func typeRange(enc string) (string, string) { return enc[:2], enc[:1] + ";" }

type fieldValue struct {
	field, value string
	unique       bool
}

// indexed reads doc's declared fields.
func indexed(c Collection, doc map[string]any) ([]fieldValue, error) {
	var out []fieldValue
	for _, ix := range c.Indexes {
		v, ok := doc[ix.Field]
		if !ok {
			continue
		}
		enc, ok := encode(v)
		if !ok {
			continue
		}
		if len(enc) > MaxIndexedText+2 {
			return nil, invalid("document."+ix.Field, "too_long", "an indexed string is at most 1000 bytes", "索引字段的字符串最多 1000 字节")
		}
		out = append(out, fieldValue{ix.Field, enc, ix.Unique})
	}
	return out, nil
}

func parseDoc(doc []byte) (map[string]any, error) {
	if len(doc) > MaxDocument {
		return nil, ErrTooLarge
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil || m == nil {
		return nil, invalid("document", "invalid_document", "the document must be a JSON object", "文档须为 JSON 对象")
	}
	return m, nil
}

// Put writes a document. expected: 0 creates or replaces; -1 creates only
// (ErrExists); N > 0 replaces only version N (ErrVersionConflict, or
// ErrNotFound when there is no such record). An empty id gets a new UUID.
func (s *Store) Put(ctx context.Context, tenantID uuid.UUID, plugin string, c Collection, id string, doc []byte, expected int64) (r Record, err error) {
	if id == "" {
		id = store.NewID().String()
	}
	if err := checkKey(plugin, c.Name, id); err != nil {
		return r, err
	}
	if expected < -1 {
		return r, invalid("expected_version", "out_of_range", "expected_version is -1, 0 or a version", "expected_version 须为 -1、0 或版本号")
	}
	m, err := parseDoc(doc)
	if err != nil {
		return r, err
	}
	fields, err := indexed(c, m)
	if err != nil {
		return r, err
	}
	now := s.now().UnixMilli()
	r = Record{Collection: c.Name, ID: id, Document: append(json.RawMessage(nil), doc...), UpdatedAt: now}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var got []struct {
			Version     int64
			CreatedAtMs int64
		}
		var q *gorm.DB
		switch {
		case expected == -1:
			q = tx.Raw(`INSERT INTO plugin_records (tenant_id, plugin, collection, id, version, document, created_at_ms, updated_at_ms)
VALUES (?, ?, ?, ?, 1, ?, ?, ?) RETURNING version, created_at_ms`, tenantID, plugin, c.Name, id, string(doc), now, now)
		case expected == 0:
			q = tx.Raw(`INSERT INTO plugin_records (tenant_id, plugin, collection, id, version, document, created_at_ms, updated_at_ms)
VALUES (?, ?, ?, ?, 1, ?, ?, ?)
ON CONFLICT (tenant_id, plugin, collection, id) DO UPDATE SET version = plugin_records.version + 1,
    document = excluded.document, updated_at_ms = excluded.updated_at_ms
RETURNING version, created_at_ms`, tenantID, plugin, c.Name, id, string(doc), now, now)
		default:
			q = tx.Raw(`UPDATE plugin_records SET version = version + 1, document = ?, updated_at_ms = ?
WHERE tenant_id = ? AND plugin = ? AND collection = ? AND id = ? AND version = ? RETURNING version, created_at_ms`,
				string(doc), now, tenantID, plugin, c.Name, id, expected)
		}
		if err := q.Scan(&got).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return ErrExists
			}
			return err
		}
		if len(got) == 0 {
			return s.missingOrConflict(tx, tenantID, plugin, c.Name, id)
		}
		r.Version, r.CreatedAt = got[0].Version, got[0].CreatedAtMs
		if err := tx.Exec("DELETE FROM plugin_record_fields WHERE tenant_id = ? AND plugin = ? AND collection = ? AND record_id = ?",
			tenantID, plugin, c.Name, id).Error; err != nil {
			return err
		}
		// One insert per field: a unique violation then names its field.
		for _, f := range fields {
			err := tx.Exec(`INSERT INTO plugin_record_fields (tenant_id, plugin, collection, record_id, field, value, is_unique)
VALUES (?, ?, ?, ?, ?, ?, ?)`, tenantID, plugin, c.Name, id, f.field, f.value, f.unique).Error
			if store.IsUniqueViolation(err) {
				return ErrDuplicate.WithDetails([]apperr.FieldError{{Field: "document." + f.field, Code: "duplicate",
					EN: "another record has this " + f.field, ZH: "另一条记录已使用该 " + f.field}})
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return r, err
}

func (s *Store) missingOrConflict(tx *gorm.DB, tenantID uuid.UUID, plugin, collection, id string) error {
	var n int64
	if err := tx.Raw("SELECT count(*) FROM plugin_records WHERE tenant_id = ? AND plugin = ? AND collection = ? AND id = ?",
		tenantID, plugin, collection, id).Scan(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return ErrVersionConflict
}

type recordRow struct {
	ID          string
	Version     int64
	Document    string
	CreatedAtMs int64
	UpdatedAtMs int64
	SortKey     *string
}

func (r recordRow) record(collection string) Record {
	return Record{Collection: collection, ID: r.ID, Version: r.Version, Document: json.RawMessage(r.Document),
		CreatedAt: r.CreatedAtMs, UpdatedAt: r.UpdatedAtMs}
}

// Get reads one record.
func (s *Store) Get(ctx context.Context, tenantID uuid.UUID, plugin, collection, id string) (r Record, err error) {
	if err := checkKey(plugin, collection, id); err != nil {
		return r, err
	}
	err = s.db.InTenant(store.ReadMostly(ctx), tenantID, func(tx *gorm.DB) error {
		var rows []recordRow
		if err := tx.Raw(`SELECT id, version, document, created_at_ms, updated_at_ms FROM plugin_records
WHERE tenant_id = ? AND plugin = ? AND collection = ? AND id = ?`, tenantID, plugin, collection, id).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return ErrNotFound
		}
		r = rows[0].record(collection)
		return nil
	})
	return r, err
}

// Delete removes a record; expected > 0 deletes only that version.
func (s *Store) Delete(ctx context.Context, tenantID uuid.UUID, plugin, collection, id string, expected int64) error {
	if err := checkKey(plugin, collection, id); err != nil {
		return err
	}
	if expected < 0 {
		return invalid("expected_version", "out_of_range", "expected_version is 0 or a version", "expected_version 须为 0 或版本号")
	}
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := "DELETE FROM plugin_records WHERE tenant_id = ? AND plugin = ? AND collection = ? AND id = ?"
		args := []any{tenantID, plugin, collection, id}
		if expected > 0 {
			q += " AND version = ?"
			args = append(args, expected)
		}
		res := tx.Exec(q, args...)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return s.missingOrConflict(tx, tenantID, plugin, collection, id)
		}
		return tx.Exec("DELETE FROM plugin_record_fields WHERE tenant_id = ? AND plugin = ? AND collection = ? AND record_id = ?",
			tenantID, plugin, collection, id).Error
	})
}

// cursor is a page's last row: its sort key (a string, or unix ms for the
// time orders) and id.
type cursor struct {
	S  string `json:"s,omitempty"`
	N  int64  `json:"n,omitempty"`
	ID string `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		return c, invalid("cursor", "invalid_cursor", "the cursor is not one this query returned", "游标无效")
	}
	return c, nil
}

var ops = map[string]string{"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

// prefixEnd is the smallest string after every string starting with p
// (bytewise), or "" when there is none.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// Query reads a page of c. next is empty on the last page.
func (s *Store) Query(ctx context.Context, tenantID uuid.UUID, plugin string, c Collection, q Query) (out []Record, next string, err error) {
	if plugin == "" || c.Name == "" {
		return nil, "", ErrUnknownColl
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit < 0 || q.Limit > MaxLimit:
		return nil, "", invalid("limit", "out_of_range", "limit is 1–1000", "limit 须为 1–1000")
	}
	if len(q.Filters) > MaxFilters {
		return nil, "", invalid("filters", "too_many", "at most 16 filters", "最多 16 个条件")
	}
	const sub = "r.id IN (SELECT record_id FROM plugin_record_fields WHERE tenant_id = ? AND plugin = ? AND collection = ? AND field = ? AND "
	where := []string{"r.tenant_id = ? AND r.plugin = ? AND r.collection = ?"}
	args := []any{tenantID, plugin, c.Name}
	for i, f := range q.Filters {
		fname := "filters[" + itoa(i) + "]"
		if f.Field != "id" {
			if _, ok := c.index(f.Field); !ok {
				return nil, "", invalid(fname+".field", "not_indexed", "filter on an indexed field or id", "只能按索引字段或 id 筛选")
			}
		}
		var vals []string
		if f.Op == "in" {
			var raw []any
			if err := json.Unmarshal(f.Value, &raw); err != nil || len(raw) == 0 || len(raw) > MaxInValues {
				return nil, "", invalid(fname+".value", "invalid_value", "in takes a JSON array of 1–100 values", "in 须为 1–100 个值的 JSON 数组")
			}
			for _, v := range raw {
				e, ok := scalar(f.Field, v)
				if !ok {
					return nil, "", invalid(fname+".value", "invalid_value", "values are strings, numbers or booleans", "值须为字符串、数字或布尔值")
				}
				vals = append(vals, e)
			}
		} else {
			var v any
			if err := json.Unmarshal(f.Value, &v); err != nil {
				return nil, "", invalid(fname+".value", "invalid_value", "value is JSON", "值须为 JSON")
			}
			e, ok := scalar(f.Field, v)
			if !ok || (f.Op == "prefix" && !strings.HasPrefix(e, "s:") && f.Field != "id") {
				return nil, "", invalid(fname+".value", "invalid_value", "value is a string, number or boolean (a string for prefix)", "值须为字符串、数字或布尔值(prefix 须为字符串)")
			}
			vals = []string{e}
		}
		col, lead := "value", sub
		if f.Field == "id" {
			col, lead = "r.id", ""
		}
		cond, cargs := "", []any{}
		switch op := f.Op; op {
		case "eq", "ne", "lt", "lte", "gt", "gte":
			cond, cargs = col+" "+ops[op]+" ?", []any{vals[0]}
			if op == "ne" {
				cond = col + " = ?" // negated below: records without the field match ne too
			}
			if col == "value" && op != "eq" && op != "ne" {
				lo, hi := typeRange(vals[0])
				cond, cargs = cond+" AND value >= ? AND value < ?", append(cargs, lo, hi)
			}
		case "in":
			cond, cargs = col+" IN ?", []any{vals}
		case "prefix":
			p := vals[0]
			cond, cargs = col+" >= ?", []any{p}
			if end := prefixEnd(p); end != "" {
				cond, cargs = cond+" AND "+col+" < ?", append(cargs, end)
			}
		default:
			return nil, "", invalid(fname+".op", "invalid_op", "op is eq, ne, lt, lte, gt, gte, in or prefix", "op 须为 eq、ne、lt、lte、gt、gte、in、prefix 之一")
		}
		if lead != "" {
			neg := ""
			if f.Op == "ne" {
				neg = "NOT "
			}
			where = append(where, neg+lead+cond+")")
			args = append(append(args, tenantID, plugin, c.Name, f.Field), cargs...)
		} else {
			if f.Op == "ne" {
				cond = "NOT (" + cond + ")"
			}
			where = append(where, cond)
			args = append(args, cargs...)
		}
	}
	// The sort key.
	join, key, kind := "", "r.id", "id"
	switch q.OrderBy {
	case "", "id":
	case "created_at":
		key, kind = "r.created_at_ms", "n"
	case "updated_at":
		key, kind = "r.updated_at_ms", "n"
	default:
		if _, ok := c.index(q.OrderBy); !ok {
			return nil, "", invalid("order_by", "not_indexed", "order by an indexed field, id, created_at or updated_at", "只能按索引字段、id、created_at 或 updated_at 排序")
		}
		// A record without the field sorts as "" (first ascending) on both engines.
		join = ` LEFT JOIN plugin_record_fields o ON o.tenant_id = r.tenant_id AND o.plugin = r.plugin
AND o.collection = r.collection AND o.record_id = r.id AND o.field = ?`
		key, kind = "COALESCE(o.value, '')", "s"
	}
	cmp, dir := ">", ""
	if q.Descending {
		cmp, dir = "<", " DESC"
	}
	if q.Cursor != "" {
		cur, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		switch kind {
		case "id":
			where, args = append(where, "r.id "+cmp+" ?"), append(args, cur.ID)
		case "n":
			where, args = append(where, "("+key+" "+cmp+" ? OR ("+key+" = ? AND r.id "+cmp+" ?))"), append(args, cur.N, cur.N, cur.ID)
		default:
			where, args = append(where, "("+key+" "+cmp+" ? OR ("+key+" = ? AND r.id "+cmp+" ?))"), append(args, cur.S, cur.S, cur.ID)
		}
	}
	sel := "SELECT r.id, r.version, r.document, r.created_at_ms, r.updated_at_ms"
	order := " ORDER BY r.id" + dir
	all := args
	if kind != "id" {
		order = " ORDER BY " + key + dir + ", r.id" + dir
	}
	if join != "" {
		sel += ", " + key + " AS sort_key"
		all = append([]any{q.OrderBy}, args...)
	}
	sqlText := sel + " FROM plugin_records r" + join + " WHERE " + strings.Join(where, " AND ") + order + " LIMIT ?"
	all = append(all, q.Limit+1)
	err = s.db.InTenant(store.ReadMostly(ctx), tenantID, func(tx *gorm.DB) error {
		var rows []recordRow
		if err := tx.Raw(sqlText, all...).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) > q.Limit {
			rows = rows[:q.Limit]
			last := rows[len(rows)-1]
			cur := cursor{ID: last.ID}
			switch {
			case kind == "n" && q.OrderBy == "created_at":
				cur.N = last.CreatedAtMs
			case kind == "n":
				cur.N = last.UpdatedAtMs
			case kind == "s" && last.SortKey != nil:
				cur.S = *last.SortKey
			}
			next = cur.encode()
		}
		out = make([]Record, len(rows))
		for i, r := range rows {
			out[i] = r.record(c.Name)
		}
		return nil
	})
	return out, next, err
}

// scalar encodes a filter value: for "id" the string itself.
func scalar(field string, v any) (string, bool) {
	if field == "id" {
		s, ok := v.(string)
		return s, ok
	}
	return encode(v)
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
