package httpapi

import (
	"encoding"
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/sheet"
)

// OpenAPIPath is where the machine-readable description of the API is served.
const OpenAPIPath = "/api/v1/openapi.json"

// Names of the shared components every operation refers to.
const (
	errorSchemaName   = "Error"
	errorResponseName = "Error"
	bearerScheme      = "bearerJWT"
	apiKeyScheme      = "apiKey"
)

// ContentTyper is implemented by Response values that are not JSON (the docs
// page, the Prometheus text); the document then names that media type with a
// string body.
type ContentTyper interface {
	ContentType() string
}

// MediaTyper is implemented by Response values that answer stored files in
// one of several media types (a download); each is declared with a binary body.
type MediaTyper interface {
	ContentTypes() []string
}

// HTMLPage marks a route answering text/html.
type HTMLPage string

func (HTMLPage) ContentType() string { return "text/html" }

// OpenAPIDocument is the Response marker of the document route itself.
type OpenAPIDocument map[string]any

func (s *Server) openAPIRoutes() []Route {
	return []Route{
		{Method: "GET", Path: OpenAPIPath, Public: true, Tag: "meta", Summary: "This API described as OpenAPI 3",
			Response: OpenAPIDocument{}, Handler: func(c *gin.Context) error {
				doc, _ := s.servedDocs(c.Request.Context())
				c.Data(http.StatusOK, "application/json; charset=utf-8", doc)
				return nil
			}},
		{Method: "GET", Path: "/api/docs", Public: true, Tag: "meta", Summary: "Readable reference of every endpoint",
			Response: HTMLPage(""), Handler: func(c *gin.Context) error {
				// The page is self-contained: inline styles, no scripts, no network.
				c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
				_, page := s.servedDocs(c.Request.Context())
				c.Data(http.StatusOK, "text/html; charset=utf-8", page)
				return nil
			}},
	}
}

// OpenAPI builds the OpenAPI 3 document from the route table.
func (s *Server) OpenAPI() *openapi3.T { return s.openAPI(nil) }

// openAPI builds the document of the route table and extra (routes served
// by a Resolve row, see ExtraOpenAPI).
func (s *Server) openAPI(extra []Route) *openapi3.T {
	g := newSchemaGen()
	g.byType[schemaKey{reflect.TypeOf(errorBody{}), false}] = errorSchemaName
	g.byType[schemaKey{reflect.TypeOf(errorDetail{}), false}] = errorSchemaName + "Detail"
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:   "Wuye API",
			Version: "v1",
			Description: "Multi-tenant property management. Errors share one shape (components/schemas/Error); " +
				"messages follow Accept-Language (zh or en). See docs/api.md for the conventions.",
		},
		Paths: openapi3.NewPaths(),
		Security: openapi3.SecurityRequirements{
			{bearerScheme: []string{}}, {apiKeyScheme: []string{}},
		},
	}
	errRef := g.inline(reflect.TypeOf(errorBody{}), false)
	doc.Components = &openapi3.Components{
		Schemas: g.schemas,
		Responses: openapi3.ResponseBodies{
			errorResponseName: {Value: openapi3.NewResponse().
				WithDescription("An error in the API's one shape; code is stable, message is for people.").
				WithContent(openapi3.NewContentWithJSONSchemaRef(errRef))},
		},
		SecuritySchemes: openapi3.SecuritySchemes{
			bearerScheme: {Value: &openapi3.SecurityScheme{Type: "http", Scheme: "bearer", BearerFormat: "JWT",
				Description: "Short-lived access token from the login endpoint: Authorization: Bearer <jwt>."}},
			apiKeyScheme: {Value: &openapi3.SecurityScheme{Type: "http", Scheme: "bearer", BearerFormat: "API key",
				Description: "Integration key of a tenant, sent the same way: Authorization: Bearer <key>."}},
		},
	}
	// Answers first, so a request body sharing a type with an answer can
	// tell whether it needs a schema of its own (see component).
	for _, r := range s.table {
		if r.Response != nil {
			if _, raw := r.Response.(ContentTyper); !raw {
				if _, file := r.Response.(MediaTyper); !file {
					g.inline(reflect.TypeOf(r.Response), false)
				}
			}
		}
	}
	for _, r := range append(s.table[:len(s.table):len(s.table)], extra...) {
		path, params := openAPIPath(r.Path)
		doc.AddOperation(path, r.Method, g.operation(r, params))
	}
	return doc
}

// openAPIPath turns gin's /users/:id and /files/*rest into /users/{id} and /files/{rest}.
func openAPIPath(p string) (string, []string) {
	segs := strings.Split(p, "/")
	var params []string
	for i, s := range segs {
		if len(s) > 1 && (s[0] == ':' || s[0] == '*') {
			params = append(params, s[1:])
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/"), params
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, r := range path {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '/' || r == '-' || r == '.' || r == '_':
			b.WriteByte('_')
		}
	}
	return b.String()
}

func (g *schemaGen) operation(r Route, pathParams []string) *openapi3.Operation {
	op := &openapi3.Operation{
		Tags:        []string{r.Tag},
		Summary:     r.Summary,
		Description: describe(r),
		OperationID: operationID(r.Method, r.Path),
		Responses:   openapi3.NewResponses(),
		Extensions:  map[string]any{},
	}
	if r.Tag == "" {
		op.Tags = []string{"other"}
	}
	_, list := isList(r)
	accessExtensions(op, r)
	g.parameters(op, r, pathParams, list)
	g.success(op, r, list)
	errorResponses(op, r, pathParams, list)
	return op
}

// accessExtensions says who may call the route (x-access, x-permission, x-object).
func accessExtensions(op *openapi3.Operation, r Route) {
	switch {
	case r.Public:
		op.Security = &openapi3.SecurityRequirements{} // no credential
		op.Extensions["x-access"] = "public"
	case r.Operator:
		op.Extensions["x-access"] = "operator"
		op.Extensions["x-permission"] = "operator"
	case r.Self:
		op.Extensions["x-access"] = "self"
	default:
		op.Extensions["x-access"] = "tenant"
		op.Extensions["x-permission"] = r.Permission
	}
	if r.Object {
		op.Extensions["x-object"] = true
	}
}

// parameters documents the path, query (with paging and export on lists)
// and Idempotency-Key parameters, and the request body.
func (g *schemaGen) parameters(op *openapi3.Operation, r Route, pathParams []string, list bool) {
	for _, name := range pathParams {
		sc := openapi3.NewStringSchema()
		if name == "id" || strings.HasSuffix(name, "_id") {
			sc.Format = "uuid"
		}
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
			Name: name, In: openapi3.ParameterInPath, Required: true, Schema: sc.NewRef()}})
	}
	if r.Query != nil {
		for _, f := range g.queryFields(reflect.TypeOf(r.Query)) {
			op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
				Name: f.name, In: openapi3.ParameterInQuery, Schema: g.inline(f.typ, true)}})
		}
	}
	if list {
		for _, p := range []struct{ name, desc string }{
			{"page", "Page number, from 1 (default 1)."},
			{"page_size", "Rows per page, 1 to 200 (default 20)."},
			{"sort", "A sortable field, or -field for descending; an unknown field answers 400 unknown_field."},
		} {
			if hasParam(op, p.name) {
				continue
			}
			sc := openapi3.NewStringSchema()
			if p.name != "sort" {
				sc = openapi3.NewIntegerSchema()
				sc.Min = new(float64)
				*sc.Min = 1
			}
			op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
				Name: p.name, In: openapi3.ParameterInQuery, Description: p.desc, Schema: sc.NewRef()}})
		}
	}
	if list && !hasParam(op, "format") {
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
			Name: "format", In: openapi3.ParameterInQuery,
			Description: "Export: every row the other parameters match (not one page) as a file, columns named after the items' JSON fields; " +
				"page and page_size are ignored; beyond the export cap, 400 export_too_large.",
			Schema: openapi3.NewStringSchema().WithEnum(string(sheet.XLSX), string(sheet.CSV)).NewRef()}})
	}
	if r.Idempotent && !r.Public {
		max := uint64(200)
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
			Name: "Idempotency-Key", In: openapi3.ParameterInHeader,
			Description: "Makes a retried create safe: the same key and body replay the first answer for 24 h.",
			Schema:      (&openapi3.Schema{Type: &openapi3.Types{"string"}, MinLength: 1, MaxLength: &max}).NewRef()}})
		op.Extensions["x-idempotent"] = true
	}
	if r.Request != nil {
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
			WithContent(openapi3.NewContentWithJSONSchemaRef(g.inline(reflect.TypeOf(r.Request), true)))}
	}

}

// success documents the success answer: JSON, a file, or raw text; lists
// can also answer as a spreadsheet.
func (g *schemaGen) success(op *openapi3.Operation, r Route, list bool) {
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	ok := openapi3.NewResponse().WithDescription(http.StatusText(status))
	if r.Response != nil {
		if mt, isFile := r.Response.(MediaTyper); isFile {
			content := openapi3.Content{}
			for _, ct := range mt.ContentTypes() {
				content[ct] = openapi3.NewMediaType().WithSchema(&openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "binary"})
			}
			ok.WithContent(content)
		} else if ct, isRaw := r.Response.(ContentTyper); isRaw {
			ok.WithContent(openapi3.Content{ct.ContentType(): openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())})
		} else {
			ok.WithContent(openapi3.NewContentWithJSONSchemaRef(g.inline(reflect.TypeOf(r.Response), false)))
		}
		if list {
			for _, f := range []sheet.Format{sheet.XLSX, sheet.CSV} {
				ct, _, _ := strings.Cut(f.ContentType(), ";")
				ok.Content[ct] = openapi3.NewMediaType().WithSchema(&openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "binary"})
			}
		}
	}
	op.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: ok})
}

// errorResponses lists the error statuses the route can answer, all in the one error shape.
func errorResponses(op *openapi3.Operation, r Route, pathParams []string, list bool) {
	errs := []int{http.StatusInternalServerError}
	if r.Request != nil || r.Query != nil || len(pathParams) > 0 || list {
		errs = append(errs, http.StatusBadRequest)
	}
	if !r.Public {
		errs = append(errs, http.StatusUnauthorized, http.StatusForbidden)
	}
	if r.Object || len(pathParams) > 0 {
		errs = append(errs, http.StatusNotFound)
	}
	if r.Idempotent && !r.Public {
		errs = append(errs, http.StatusConflict)
	}
	if r.Request != nil {
		errs = append(errs, http.StatusRequestEntityTooLarge)
	}
	for _, code := range errs {
		op.Responses.Set(strconv.Itoa(code), &openapi3.ResponseRef{Ref: "#/components/responses/" + errorResponseName})
	}
	// Anything else (429, 503 …) still has the error shape.
	op.Responses.Set("default", &openapi3.ResponseRef{Ref: "#/components/responses/" + errorResponseName})
}

// schemaGen reflects Go types into JSON schemas the way encoding/json writes
// them. Named struct types become shared components, referenced by $ref.
type schemaGen struct {
	schemas openapi3.Schemas
	names   map[string]schemaKey
	byType  map[schemaKey]string
}

// schemaKey is a Go type as an answer or as a request body: the two differ
// in which fields are required (see object).
type schemaKey struct {
	t       reflect.Type
	request bool
}

func newSchemaGen() *schemaGen {
	return &schemaGen{schemas: openapi3.Schemas{}, names: map[string]schemaKey{}, byType: map[schemaKey]string{}}
}

var (
	timeType    = reflect.TypeOf(time.Time{})
	uuidType    = reflect.TypeOf(uuid.UUID{})
	rawType     = reflect.TypeOf(json.RawMessage{})
	bytesType   = reflect.TypeOf([]byte{})
	marshalerT  = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	textMarshal = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

// inline returns t's schema, or a $ref for named structs (see component).
// forRequest marks a request body: its pointer fields are optional.
func (g *schemaGen) inline(t reflect.Type, forRequest bool) *openapi3.SchemaRef {
	switch t {
	case timeType:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "date-time"}}
	case uuidType:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "uuid"}}
	case rawType:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Nullable: true}}
	case bytesType:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "byte", Nullable: true}}
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		if t.Implements(marshalerT) || reflect.PointerTo(t).Implements(marshalerT) {
			return &openapi3.SchemaRef{Value: &openapi3.Schema{Nullable: true}} // shape chosen by its own code
		}
		if t.Implements(textMarshal) || reflect.PointerTo(t).Implements(textMarshal) {
			return openapi3.NewStringSchema().NewRef()
		}
	}
	typ := func(name string) *openapi3.Types { return &openapi3.Types{name} }
	switch t.Kind() {
	case reflect.Bool:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: typ("boolean")}}
	case reflect.Int, reflect.Int64:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: typ("integer"), Format: "int64"}}
	case reflect.Int8, reflect.Int16, reflect.Int32:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: typ("integer"), Format: "int32"}}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		zero := 0.0
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: typ("integer"), Min: &zero}}
	case reflect.Float32, reflect.Float64:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: typ("number"), Format: "double"}}
	case reflect.String:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: typ("string")}}
	case reflect.Interface:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Nullable: true}}
	case reflect.Pointer:
		inner := g.inline(t.Elem(), forRequest)
		if inner.Ref != "" {
			return &openapi3.SchemaRef{Value: &openapi3.Schema{Nullable: true, AllOf: openapi3.SchemaRefs{inner}}}
		}
		v := *inner.Value
		v.Nullable = true
		return &openapi3.SchemaRef{Value: &v}
	case reflect.Slice, reflect.Array:
		// A nil slice is written as null.
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: typ("array"), Items: g.inline(t.Elem(), forRequest), Nullable: t.Kind() == reflect.Slice}}
	case reflect.Map:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: typ("object"), Nullable: true,
			AdditionalProperties: openapi3.AdditionalProperties{Schema: g.inline(t.Elem(), forRequest)}}}
	case reflect.Struct:
		if t.Name() == "" {
			return &openapi3.SchemaRef{Value: g.object(t, forRequest)}
		}
		return g.component(t, forRequest)
	}
	// Channels and functions cannot be encoded; say nothing rather than lie.
	return &openapi3.SchemaRef{Value: &openapi3.Schema{Nullable: true}}
}

// component registers a named struct once and returns a $ref to it. A type
// used as a request body and as an answer shares one schema when both come
// out the same, else the request's is named …Request. Two Go types that
// would share a name are a programming error: the build panics, so every
// test of the server shows it.
func (g *schemaGen) component(t reflect.Type, forRequest bool) *openapi3.SchemaRef {
	key := schemaKey{t, forRequest}
	name, ok := g.byType[key]
	if !ok {
		name = componentName(t)
		if forRequest {
			if resp, ok := g.byType[schemaKey{t, false}]; ok {
				if sameSchema(g.object(t, true), g.schemas[resp].Value) {
					g.byType[key] = resp
					return &openapi3.SchemaRef{Ref: "#/components/schemas/" + resp}
				}
				name += "Request"
			}
		}
		if other, taken := g.names[name]; taken && other != key {
			panic("httpapi: openapi: schema name " + name + " would describe both " + typeName(other.t) + " and " + typeName(t))
		}
		g.byType[key] = name
	}
	if _, done := g.schemas[name]; !done {
		g.names[name] = key
		g.schemas[name] = &openapi3.SchemaRef{Value: &openapi3.Schema{}} // placeholder for recursion
		sc := g.object(t, forRequest)
		sc.Description = schemaDescription(t)
		g.schemas[name].Value = sc
	}
	return &openapi3.SchemaRef{Ref: "#/components/schemas/" + name}
}

// sameSchema compares two generated schemas by their JSON.
func sameSchema(a, b *openapi3.Schema) bool {
	if a == nil || b == nil {
		return false
	}
	ca, cb := *a, *b
	ca.Description, cb.Description = "", ""
	ja, _ := json.Marshal(ca)
	jb, _ := json.Marshal(cb)
	return string(ja) == string(jb)
}

// Describer is implemented by request and answer types that describe
// themselves in the OpenAPI document.
type Describer interface {
	OpenAPIDescription() string
}

func schemaDescription(t reflect.Type) string {
	if d, ok := reflect.Zero(t).Interface().(Describer); ok {
		return d.OpenAPIDescription()
	}
	return "Go type " + typeName(t) + "."
}

// typeName is pkg.Type of a named type (generic arguments as Go writes them).
func typeName(t reflect.Type) string {
	pkg := t.PkgPath()
	if j := strings.LastIndexByte(pkg, '/'); j >= 0 {
		pkg = pkg[j+1:]
	}
	return pkg + "." + t.Name()
}

// describe is an operation's description: its summary and who may call it.
func describe(r Route) string {
	var who string
	switch {
	case r.Public:
		who = "No credential needed."
	case r.Operator:
		who = "Platform operators only."
	case r.Self:
		who = "Any signed-in user or key of an active tenant, acting on itself."
	default:
		who = "Needs the tenant permission " + r.Permission + "."
	}
	if r.Object {
		who += " Another tenant's object answers 404."
	}
	if r.Summary == "" {
		return who
	}
	return strings.TrimSuffix(r.Summary, ".") + ". " + who
}

func hasParam(op *openapi3.Operation, name string) bool {
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.Name == name {
			return true
		}
	}
	return false
}

// componentName names a schema by package and type, so that types of the
// same Go name in different packages stay apart: property.CommunityInput is
// PropertyCommunityInput, a route package's type is named after its domain
// (propertyapi.X → PropertyX, an unexported name capitalised), a name already starting with its package is
// not repeated (auditapi.AuditItem → AuditItem), and generic arguments are
// spelled out (httpapi.Page[identity.User] → PageIdentityUser). httpapi's
// own envelopes (Page, List, the error) keep their bare names.
func componentName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		base, args := name[:i], strings.TrimSuffix(name[i+1:], "]")
		var b strings.Builder
		b.WriteString(base)
		for _, a := range strings.Split(args, ",") {
			list := strings.Contains(a, "[]")
			a = strings.TrimLeft(strings.ReplaceAll(a, "[]", ""), "*")
			pkg, typ := "", a
			if j := strings.LastIndexByte(a, '.'); j >= 0 {
				pkg, typ = a[:j], a[j+1:]
			}
			if j := strings.LastIndexByte(pkg, '/'); j >= 0 {
				pkg = pkg[j+1:]
			}
			b.WriteString(qualify(pkg, typ))
			if list {
				b.WriteString("List")
			}
		}
		name = b.String()
	} else {
		pkg := t.PkgPath()
		if j := strings.LastIndexByte(pkg, '/'); j >= 0 {
			pkg = pkg[j+1:]
		}
		name = qualify(pkg, name)
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, name)
}

// qualify prefixes a type name with its package, capitalised ("api" of a
// route package dropped); httpapi's and the builtin types stay bare.
func qualify(pkg, typ string) string {
	pkg = strings.TrimSuffix(pkg, "api")
	if pkg == "" || pkg == "http" {
		return typ
	}
	prefix := strings.ToUpper(pkg[:1]) + pkg[1:]
	if strings.HasPrefix(typ, prefix) {
		return typ
	}
	return prefix + strings.ToUpper(typ[:1]) + typ[1:] // tenantapi.planRequest → TenantPlanRequest
}

type jsonField struct {
	name      string
	typ       reflect.Type
	omitEmpty bool
	doc       string // the field's doc tag: its description in the document
}

// fields lists what encoding/json writes for struct t, flattening embedded
// structs without a json name; tag reads the key ("json" or "form").
func fields(t reflect.Type, tag string) []jsonField {
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "-" && opts == "" {
			continue
		}
		ft := f.Type
		if f.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				out = append(out, fields(et, tag)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(","+opts+",", ",string,") {
			ft = reflect.TypeOf("")
		}
		out = append(out, jsonField{name: name, typ: ft, doc: f.Tag.Get("doc"), omitEmpty: strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")})
	}
	return out
}

func (g *schemaGen) object(t reflect.Type, forRequest bool) *openapi3.Schema {
	sc := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{}}
	for _, f := range fields(t, "json") {
		p := g.inline(f.typ, forRequest)
		if f.doc != "" {
			if p.Ref != "" { // a $ref takes no siblings in OpenAPI 3.0
				p = &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{p}}}
			}
			p.Value.Description = f.doc
		}
		sc.Properties[f.name] = p
		// An answer always writes a field without omitempty; a request
		// body must send one unless it is a pointer (optional, as in PATCH).
		if !f.omitEmpty && (!forRequest || f.typ.Kind() != reflect.Pointer) {
			sc.Required = append(sc.Required, f.name)
		}
	}
	sort.Strings(sc.Required)
	return sc
}

// queryFields lists the query parameters of a query struct (gin's form tags).
func (g *schemaGen) queryFields(t reflect.Type) []jsonField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	fs := fields(t, "form")
	for i := range fs {
		if fs[i].typ.Kind() == reflect.Pointer {
			fs[i].typ = fs[i].typ.Elem()
		}
	}
	return fs
}
