package testkit

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Limits of the records store; the same as the core's.
const (
	MaxDocument    = 256 << 10 // bytes of a document's JSON
	MaxRecordID    = 200       // bytes of a record id
	MaxIndexedText = 1000      // bytes of an indexed string value
	DefaultLimit   = 100       // records per page when the query names none
	MaxLimit       = 1000      // records per page at most
	MaxFilters     = 16
	MaxInValues    = 100
)

// storedRecord is one document with its encoded indexed values.
type storedRecord struct {
	rec    *wuyepb.Record
	fields map[string]string // field -> encoded value (see encode)
}

// encode turns a JSON scalar into text whose byte order is the value order,
// as the core's store does: "s:" strings, "n:" numbers, "b:0"/"b:1"
// booleans. Null, objects and arrays are not indexed. Keeping the same
// encoding keeps the fake's order and type rules identical to the core's.
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

func invalidField(field, code, en, zh string) error {
	return fail(codes.InvalidArgument, "invalid_input", "Some input is invalid; see details for each field.", "输入有误,请查看各字段的详细说明。",
		&wuyepb.FieldError{Field: field, Code: code, MessageEn: en, MessageZh: zh})
}

var (
	errUnknownCollection = func() error {
		return fail(codes.InvalidArgument, "unknown_collection", "The plugin's manifest declares no such collection.", "插件清单未声明该集合。")
	}
	errRecordNotFound = func() error { return fail(codes.NotFound, "not_found", "No such record.", "记录不存在。") }
	errRecordExists   = func() error {
		return fail(codes.AlreadyExists, "already_exists", "A record with this id already exists.", "该编号的记录已存在。")
	}
	errVersionConflict = func() error {
		return fail(codes.Aborted, "version_conflict", "The record was changed since it was read (version conflict); read it again.", "记录在读取后已被修改(版本冲突),请重新读取。")
	}
)

func checkRecordID(id string) error {
	if id == "" || len(id) > MaxRecordID || !utf8.ValidString(id) || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return invalidField("id", "invalid_id", "id is 1–200 bytes of printable text", "编号须为 1–200 字节的可打印文本")
	}
	return nil
}

func (f *FakeHost) collection(name string) (*wuyepb.Collection, error) {
	for _, c := range f.manifest.GetCollections() {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, errUnknownCollection()
}

func indexOf(c *wuyepb.Collection, field string) (*wuyepb.IndexField, bool) {
	for _, ix := range c.Indexes {
		if ix.Field == field {
			return ix, true
		}
	}
	return nil, false
}

// indexedValues reads the collection's indexed fields of doc.
func indexedValues(c *wuyepb.Collection, doc []byte) (map[string]string, error) {
	if len(doc) > MaxDocument {
		return nil, fail(codes.InvalidArgument, "document_too_large", "The document is larger than 256 KiB.", "文档超过 256 KiB。")
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil || m == nil {
		return nil, invalidField("document", "invalid_document", "the document must be a JSON object", "文档须为 JSON 对象")
	}
	out := map[string]string{}
	for _, ix := range c.Indexes {
		v, ok := m[ix.Field]
		if !ok {
			continue
		}
		enc, ok := encode(v)
		if !ok {
			continue
		}
		if len(enc) > MaxIndexedText+2 {
			return nil, invalidField("document."+ix.Field, "too_long", "an indexed string is at most 1000 bytes", "索引字段的字符串最多 1000 字节")
		}
		out[ix.Field] = enc
	}
	return out, nil
}

// putRecord implements PutRecord under f.mu.
func (f *FakeHost) putRecord(req *wuyepb.PutRecordRequest) (*wuyepb.Record, error) {
	c, err := f.collection(req.Collection)
	if err != nil {
		return nil, err
	}
	id := req.Id
	if id == "" {
		id = newID()
	}
	if err := checkRecordID(id); err != nil {
		return nil, err
	}
	if req.ExpectedVersion < -1 {
		return nil, invalidField("expected_version", "out_of_range", "expected_version is -1, 0 or a version", "expected_version 须为 -1、0 或版本号")
	}
	fields, err := indexedValues(c, req.Document)
	if err != nil {
		return nil, err
	}
	coll := f.records[c.Name]
	if coll == nil {
		coll = map[string]*storedRecord{}
		f.records[c.Name] = coll
	}
	old := coll[id]
	switch {
	case req.ExpectedVersion == -1 && old != nil:
		return nil, errRecordExists()
	case req.ExpectedVersion > 0 && old == nil:
		return nil, errRecordNotFound()
	case req.ExpectedVersion > 0 && old.rec.Version != req.ExpectedVersion:
		return nil, errVersionConflict()
	}
	for _, ix := range c.Indexes {
		v, ok := fields[ix.Field]
		if !ix.Unique || !ok {
			continue
		}
		for oid, o := range coll {
			if oid != id && o.fields[ix.Field] == v {
				return nil, fail(codes.AlreadyExists, "duplicate", "Another record already has this value of a unique field.", "唯一字段的值已被另一条记录使用。",
					&wuyepb.FieldError{Field: "document." + ix.Field, Code: "duplicate", MessageEn: "another record has this " + ix.Field, MessageZh: "另一条记录已使用该 " + ix.Field})
			}
		}
	}
	now := f.now().UnixMilli()
	rec := &wuyepb.Record{Collection: c.Name, Id: id, Version: 1, Document: append([]byte(nil), req.Document...), CreatedAtUnixMs: now, UpdatedAtUnixMs: now}
	if old != nil {
		rec.Version, rec.CreatedAtUnixMs = old.rec.Version+1, old.rec.CreatedAtUnixMs
	}
	coll[id] = &storedRecord{rec: rec, fields: fields}
	return cloneRecord(rec), nil
}

func cloneRecord(r *wuyepb.Record) *wuyepb.Record {
	return &wuyepb.Record{Collection: r.Collection, Id: r.Id, Version: r.Version, Document: append([]byte(nil), r.Document...),
		CreatedAtUnixMs: r.CreatedAtUnixMs, UpdatedAtUnixMs: r.UpdatedAtUnixMs}
}

func (f *FakeHost) getRecord(req *wuyepb.GetRecordRequest) (*wuyepb.Record, error) {
	if _, err := f.collection(req.Collection); err != nil {
		return nil, err
	}
	if err := checkRecordID(req.Id); err != nil {
		return nil, err
	}
	r := f.records[req.Collection][req.Id]
	if r == nil {
		return nil, errRecordNotFound()
	}
	return cloneRecord(r.rec), nil
}

func (f *FakeHost) deleteRecord(req *wuyepb.DeleteRecordRequest) error {
	if _, err := f.collection(req.Collection); err != nil {
		return err
	}
	if err := checkRecordID(req.Id); err != nil {
		return err
	}
	if req.ExpectedVersion < 0 {
		return invalidField("expected_version", "out_of_range", "expected_version is 0 or a version", "expected_version 须为 0 或版本号")
	}
	r := f.records[req.Collection][req.Id]
	switch {
	case r == nil:
		return errRecordNotFound()
	case req.ExpectedVersion > 0 && r.rec.Version != req.ExpectedVersion:
		return errVersionConflict()
	}
	delete(f.records[req.Collection], req.Id)
	return nil
}

// cursor is a page's last row: its sort key and id (the core's shape).
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
		return c, invalidField("cursor", "invalid_cursor", "the cursor is not one this query returned", "游标无效")
	}
	return c, nil
}

// condition is one compiled filter.
type condition struct {
	field, op string
	vals      []string
}

func (c condition) match(r *storedRecord) bool {
	var v string
	var ok bool
	if c.field == "id" {
		v, ok = r.rec.Id, true
	} else {
		v, ok = r.fields[c.field]
	}
	if c.op == "ne" {
		return !ok || v != c.vals[0] // a record without the field matches ne
	}
	if !ok {
		return false
	}
	want := c.vals[0]
	sameType := c.field == "id" || (len(v) >= 2 && v[:2] == want[:2])
	switch c.op {
	case "eq":
		return v == want
	case "lt":
		return sameType && v < want
	case "lte":
		return sameType && v <= want
	case "gt":
		return sameType && v > want
	case "gte":
		return sameType && v >= want
	case "prefix":
		return strings.HasPrefix(v, want)
	case "in":
		for _, w := range c.vals {
			if v == w {
				return true
			}
		}
	}
	return false
}

func scalar(field string, v any) (string, bool) {
	if field == "id" {
		s, ok := v.(string)
		return s, ok
	}
	return encode(v)
}

var validOps = map[string]bool{"eq": true, "ne": true, "lt": true, "lte": true, "gt": true, "gte": true, "in": true, "prefix": true}

func (f *FakeHost) queryRecords(req *wuyepb.QueryRecordsRequest) (*wuyepb.QueryRecordsResponse, error) {
	c, err := f.collection(req.Collection)
	if err != nil {
		return nil, err
	}
	limit := int(req.Limit)
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		return nil, invalidField("limit", "out_of_range", "limit is 1–1000", "limit 须为 1–1000")
	}
	if len(req.Filters) > MaxFilters {
		return nil, invalidField("filters", "too_many", "at most 16 filters", "最多 16 个条件")
	}
	var conds []condition
	for i, flt := range req.Filters {
		name := "filters[" + strconv.Itoa(i) + "]"
		if flt.Field != "id" {
			if _, ok := indexOf(c, flt.Field); !ok {
				return nil, invalidField(name+".field", "not_indexed", "filter on an indexed field or id", "只能按索引字段或 id 筛选")
			}
		}
		if !validOps[flt.Op] {
			return nil, invalidField(name+".op", "invalid_op", "op is eq, ne, lt, lte, gt, gte, in or prefix", "op 须为 eq、ne、lt、lte、gt、gte、in、prefix 之一")
		}
		cond := condition{field: flt.Field, op: flt.Op}
		if flt.Op == "in" {
			var raw []any
			if err := json.Unmarshal(flt.Value, &raw); err != nil || len(raw) == 0 || len(raw) > MaxInValues {
				return nil, invalidField(name+".value", "invalid_value", "in takes a JSON array of 1–100 values", "in 须为 1–100 个值的 JSON 数组")
			}
			for _, v := range raw {
				e, ok := scalar(flt.Field, v)
				if !ok {
					return nil, invalidField(name+".value", "invalid_value", "values are strings, numbers or booleans", "值须为字符串、数字或布尔值")
				}
				cond.vals = append(cond.vals, e)
			}
		} else {
			var v any
			if err := json.Unmarshal(flt.Value, &v); err != nil {
				return nil, invalidField(name+".value", "invalid_value", "value is JSON", "值须为 JSON")
			}
			e, ok := scalar(flt.Field, v)
			if !ok || (flt.Op == "prefix" && !strings.HasPrefix(e, "s:") && flt.Field != "id") {
				return nil, invalidField(name+".value", "invalid_value", "value is a string, number or boolean (a string for prefix)", "值须为字符串、数字或布尔值(prefix 须为字符串)")
			}
			cond.vals = []string{e}
		}
		conds = append(conds, cond)
	}
	kind := "id"
	switch req.OrderBy {
	case "", "id":
	case "created_at", "updated_at":
		kind = "n"
	default:
		if _, ok := indexOf(c, req.OrderBy); !ok {
			return nil, invalidField("order_by", "not_indexed", "order by an indexed field, id, created_at or updated_at", "只能按索引字段、id、created_at 或 updated_at 排序")
		}
		kind = "s"
	}
	var cur *cursor
	if req.Cursor != "" {
		cc, err := decodeCursor(req.Cursor)
		if err != nil {
			return nil, err
		}
		cur = &cc
	}
	key := func(r *storedRecord) cursor {
		switch {
		case kind == "n" && req.OrderBy == "created_at":
			return cursor{N: r.rec.CreatedAtUnixMs, ID: r.rec.Id}
		case kind == "n":
			return cursor{N: r.rec.UpdatedAtUnixMs, ID: r.rec.Id}
		case kind == "s":
			return cursor{S: r.fields[req.OrderBy], ID: r.rec.Id} // missing sorts as "" (first ascending)
		}
		return cursor{ID: r.rec.Id}
	}
	less := func(a, b cursor) bool {
		if a.N != b.N {
			return a.N < b.N
		}
		if a.S != b.S {
			return a.S < b.S
		}
		return a.ID < b.ID
	}
	var rows []*storedRecord
rows:
	for _, r := range f.records[c.Name] {
		for _, cd := range conds {
			if !cd.match(r) {
				continue rows
			}
		}
		if cur != nil {
			k := key(r)
			if req.Descending && !less(k, *cur) || !req.Descending && !less(*cur, k) {
				continue
			}
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if req.Descending {
			return less(key(rows[j]), key(rows[i]))
		}
		return less(key(rows[i]), key(rows[j]))
	})
	resp := &wuyepb.QueryRecordsResponse{}
	if len(rows) > limit {
		rows = rows[:limit]
		resp.NextCursor = key(rows[len(rows)-1]).encode()
	}
	for _, r := range rows {
		resp.Records = append(resp.Records, cloneRecord(r.rec))
	}
	return resp, nil
}
