package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"

	"github.com/wuye-project/wuye/core/pii"
)

// Change is one field an action changed. Before is absent for a field a
// create set, After for one a delete removed. Personal data is masked.
type Change struct {
	Field  string `json:"field"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
}

// Notes collect, during a request, what its audit entry should say beyond
// what the HTTP layer sees: the object, what changed, whether it was a dry
// run. The API puts one in every write's context; handlers add to it with
// From(ctx). A nil *Notes ignores everything, so callers never check.
type Notes struct {
	mu         sync.Mutex
	objectType string
	objectID   string
	dryRun     bool
	detail     string
	changes    []Change
}

type notesKey struct{}

// WithNotes returns ctx carrying new, empty notes.
func WithNotes(ctx context.Context) (context.Context, *Notes) {
	n := &Notes{}
	return context.WithValue(ctx, notesKey{}, n), n
}

// From returns the notes of ctx's request, or nil.
func From(ctx context.Context) *Notes {
	n, _ := ctx.Value(notesKey{}).(*Notes)
	return n
}

// Object names the object acted on; empty arguments keep what is known.
func (n *Notes) Object(typ, id string) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if typ != "" {
		n.objectType = typ
	}
	if id != "" {
		n.objectID = id
	}
}

// DryRun marks the request as checking only.
func (n *Notes) DryRun() {
	if n == nil {
		return
	}
	n.mu.Lock()
	n.dryRun = true
	n.mu.Unlock()
}

// Detail sets the entry's short free text (never secrets).
func (n *Notes) Detail(s string) {
	if n == nil {
		return
	}
	n.mu.Lock()
	n.detail = s
	n.mu.Unlock()
}

// Change records changes as given (the caller masks personal data).
func (n *Notes) Change(cs ...Change) {
	if n == nil {
		return
	}
	n.mu.Lock()
	n.changes = append(n.changes, cs...)
	n.mu.Unlock()
}

// Diff records the fields that differ between before and after (either may
// be nil, for a create or a delete); see Diff.
func (n *Notes) Diff(before, after any, personal ...string) {
	if n == nil {
		return
	}
	n.Change(Diff(before, after, personal...)...)
}

// Apply copies the notes into e; what the notes leave empty keeps e's value.
func (n *Notes) Apply(e *Entry) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.objectType != "" {
		e.ObjectType = n.objectType
	}
	if n.objectID != "" {
		e.ObjectID = n.objectID
	}
	e.DryRun = e.DryRun || n.dryRun
	if n.detail != "" && e.Detail == "" {
		e.Detail = n.detail
	}
	e.Changes = append(e.Changes, n.changes...)
}

// ignored are fields that change on every write and say nothing.
var ignored = map[string]bool{"updated_at": true, "created_at": true, "version": true}

// Diff compares the JSON forms of before and after field by field (top
// level) and returns the fields that differ, in name order. Values are masked
// as Mask does; personal names further fields to mask (a person's "name").
func Diff(before, after any, personal ...string) []Change {
	b, a := fields(before), fields(after)
	names := map[string]bool{}
	for k := range b {
		names[k] = true
	}
	for k := range a {
		names[k] = true
	}
	var out []Change
	for k := range names {
		bv, bok := b[k]
		av, aok := a[k]
		if ignored[k] || (bok && aok && bytes.Equal(bv, av)) {
			continue
		}
		c := Change{Field: k}
		if bok {
			c.Before = Mask(k, decode(bv), personal...)
		}
		if aok {
			c.After = Mask(k, decode(av), personal...)
		}
		if c.Before == nil && c.After == nil {
			continue // null on one side, absent on the other
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func fields(v any) map[string]json.RawMessage {
	if v == nil {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

func decode(raw json.RawMessage) any {
	var v any
	_ = json.Unmarshal(raw, &v)
	return v
}

// Mask hides personal data and secrets in value v of field key, at any
// depth: phone numbers and ID numbers keep their head and tail, secrets are
// replaced whole, and fields named in personal keep their first character.
// Inside an object the key is the path ("phones.number"), so what lies
// under a phone field is masked as a phone.
func Mask(key string, v any, personal ...string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Mask(key+"."+k, e, personal...)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Mask(key, e, personal...)
		}
		return out
	case string:
		k := strings.ToLower(key)
		last := k[strings.LastIndex(k, ".")+1:]
		switch {
		case isSecret(last):
			return "[redacted]"
		case strings.Contains(k, "phone") || strings.Contains(k, "mobile"):
			return pii.MaskPhone(x)
		case strings.Contains(k, "id_number") || strings.Contains(k, "id_card") || k == "id_no":
			return pii.MaskID(x)
		}
		for _, p := range personal {
			if k == p { // a path: "name" is top level, "emergency_contacts.name" nested
				r := []rune(x)
				if len(r) <= 1 {
					return x
				}
				return string(r[0]) + strings.Repeat("*", len(r)-1)
			}
		}
		return x
	default:
		return v
	}
}

func isSecret(k string) bool {
	return k == "key" || strings.Contains(k, "password") || strings.Contains(k, "secret") ||
		strings.Contains(k, "token") || strings.HasSuffix(k, "_hash") || strings.HasSuffix(k, "_cipher")
}
