package httpapi

import (
	"bytes"
	"html/template"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// docsPage renders the OpenAPI document as one self-contained HTML page:
// endpoints grouped by tag, each with its access rule and the shapes of its
// request and response. No scripts and no external assets, so it works offline.
func docsPage(doc *openapi3.T) ([]byte, error) {
	type endpoint struct {
		Method, Path, Summary, Access, Anchor string
		Params                                []string
		Request, Response                     string
		Status                                string
		Idempotent                            bool
	}
	type group struct {
		Tag       string
		Endpoints []endpoint
	}
	byTag := map[string][]endpoint{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			e := endpoint{Method: method, Path: path, Summary: op.Summary, Anchor: op.OperationID}
			switch op.Extensions["x-access"] {
			case "public":
				e.Access = "public, no credential"
			case "operator":
				e.Access = "platform operators only"
			case "self":
				e.Access = "any signed-in user of an active tenant, on their own account"
			default:
				e.Access = "tenant users"
				if p, ok := op.Extensions["x-permission"].(string); ok {
					e.Access = "permission " + p
				}
			}
			_, e.Idempotent = op.Extensions["x-idempotent"]
			for _, p := range op.Parameters {
				e.Params = append(e.Params, p.Value.In+" "+p.Value.Name+": "+sketch(p.Value.Schema, 0))
			}
			if op.RequestBody != nil {
				for _, mt := range op.RequestBody.Value.Content {
					e.Request = sketch(mt.Schema, 0)
				}
			}
			for code, resp := range op.Responses.Map() {
				if resp.Ref != "" || resp.Value == nil {
					continue
				}
				e.Status = code
				var raw []string // a download may answer several media types
				for ct, mt := range resp.Value.Content {
					if ct != "application/json" {
						raw = append(raw, ct)
					} else {
						e.Response = sketch(mt.Schema, 0)
					}
				}
				if len(raw) > 0 {
					sort.Strings(raw)
					e.Response = strings.Join(raw, " | ")
				}
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			byTag[tag] = append(byTag[tag], e)
		}
	}
	var groups []group
	for tag, es := range byTag {
		sort.Slice(es, func(i, j int) bool {
			if es[i].Path != es[j].Path {
				return es[i].Path < es[j].Path
			}
			return es[i].Method < es[j].Method
		})
		groups = append(groups, group{Tag: tag, Endpoints: es})
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Tag < groups[j].Tag })

	type schema struct{ Name, Body string }
	var schemas []schema
	for name, sc := range doc.Components.Schemas {
		schemas = append(schemas, schema{Name: name, Body: sketch(&openapi3.SchemaRef{Value: sc.Value}, 0)})
	}
	sort.Slice(schemas, func(i, j int) bool { return schemas[i].Name < schemas[j].Name })

	var buf bytes.Buffer
	err := docsTmpl.Execute(&buf, map[string]any{"Info": doc.Info, "Groups": groups, "Schemas": schemas})
	return buf.Bytes(), err
}

// sketch writes a schema as a short type expression: { id: uuid, name?: string }.
// A "?" marks a property that may be absent; "| null" one that may be null.
func sketch(ref *openapi3.SchemaRef, depth int) string {
	if ref == nil {
		return "any"
	}
	if ref.Ref != "" {
		return ref.Ref[strings.LastIndexByte(ref.Ref, '/')+1:]
	}
	sc := ref.Value
	if sc == nil {
		return "any"
	}
	var s string
	switch {
	case len(sc.AllOf) == 1:
		s = sketch(sc.AllOf[0], depth)
	case sc.Type == nil:
		s = "any"
	case sc.Type.Is("object"):
		if sc.AdditionalProperties.Schema != nil {
			s = "{ [key]: " + sketch(sc.AdditionalProperties.Schema, depth+1) + " }"
			break
		}
		names := make([]string, 0, len(sc.Properties))
		for n := range sc.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		req := map[string]bool{}
		for _, r := range sc.Required {
			req[r] = true
		}
		ind := strings.Repeat("  ", depth+1)
		var b strings.Builder
		b.WriteString("{\n")
		for _, n := range names {
			opt := "?"
			if req[n] {
				opt = ""
			}
			b.WriteString(ind + n + opt + ": " + sketch(sc.Properties[n], depth+1) + "\n")
		}
		b.WriteString(strings.Repeat("  ", depth) + "}")
		s = b.String()
	case sc.Type.Is("array"):
		s = "[ " + sketch(sc.Items, depth) + " ]"
	case sc.Format == "uuid" || sc.Format == "date-time":
		s = sc.Format
	default:
		s = (*sc.Type)[0]
		if sc.Format == "int64" || sc.Format == "int32" {
			s += " (" + sc.Format + ")"
		}
	}
	if sc.Nullable && s != "any" {
		s += " | null"
	}
	return s
}

var docsTmpl = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Info.Title}} reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 2rem;color:#222}
h2{border-bottom:1px solid #ccc;margin-top:2.5rem}
section.ep{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:bold;font-family:monospace}
.GET{color:#0a6}.POST{color:#06c}.PUT,.PATCH{color:#a60}.DELETE{color:#c22}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f6f6f6;padding:.5rem;overflow-x:auto;margin:.3rem 0}
.access{color:#555}
nav a{margin-right:1rem}
</style></head><body>
<h1>{{.Info.Title}} {{.Info.Version}}</h1>
<p>{{.Info.Description}} Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
<p>Every error answers <code>{"error": {"code", "message", "details", "request_id"}}</code> (schema <a href="#schema-Error">Error</a>).
Send <code>Authorization: Bearer &lt;token or API key&gt;</code> unless an endpoint is public.</p>
<nav>{{range .Groups}}<a href="#tag-{{.Tag}}">{{.Tag}}</a>{{end}}<a href="#schemas">schemas</a></nav>
{{range .Groups}}<h2 id="tag-{{.Tag}}">{{.Tag}}</h2>
{{range .Endpoints}}<section class="ep" id="{{.Anchor}}">
<div><span class="m {{.Method}}">{{.Method}}</span> <code>{{.Path}}</code> — {{.Summary}}</div>
<div class="access">Access: {{.Access}}{{if .Idempotent}} · honours Idempotency-Key{{end}}</div>
{{if .Params}}<div>Parameters:</div><pre>{{range .Params}}{{.}}
{{end}}</pre>{{end}}
{{if .Request}}<div>Request body:</div><pre>{{.Request}}</pre>{{end}}
<div>Response {{.Status}}:</div><pre>{{if .Response}}{{.Response}}{{else}}(no body){{end}}</pre>
</section>{{end}}{{end}}
<h2 id="schemas">Schemas</h2>
<p><code>?</code> marks a property that may be absent, <code>| null</code> one that may be null.</p>
{{range .Schemas}}<h3 id="schema-{{.Name}}">{{.Name}}</h3><pre>{{.Body}}</pre>
{{end}}</body></html>
`))
