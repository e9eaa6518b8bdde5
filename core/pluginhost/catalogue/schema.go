package catalogue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wuye-project/wuye/core/apperr"
)

// noLoader refuses every $ref to another document: a plugin's schema is one
// document, and the host must not read files or URLs a plugin names.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external schema references are not allowed (%s)", url)
}

const schemaURL = "wuye:plugin-config.json"

// compileSchema compiles a manifest's config schema (draft 2020-12 unless it
// names another). An empty schema accepts any JSON object.
func compileSchema(raw []byte) (*jsonschema.Schema, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte(`{"type":"object"}`)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
}

// validateConfig checks config against the schema and answers 400 with one
// field error per failing location (a JSON pointer below config, e.g.
// "config.smtp.port").
func validateConfig(sch *jsonschema.Schema, config []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(config))
	if err != nil {
		return configInvalid(apperr.FieldError{Field: "config", Code: "invalid_json", EN: "config must be a JSON object", ZH: "配置须为 JSON 对象"})
	}
	if _, ok := inst.(map[string]any); !ok {
		return configInvalid(apperr.FieldError{Field: "config", Code: "not_object", EN: "config must be a JSON object", ZH: "配置须为 JSON 对象"})
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := ve.BasicOutput()
	seen := map[string]bool{}
	var fe []apperr.FieldError
	for _, u := range out.Errors {
		if u.Error == nil {
			continue
		}
		msg := u.Error.String()
		field := "config" + strings.ReplaceAll(u.InstanceLocation, "/", ".")
		if seen[field+msg] || strings.HasPrefix(msg, "validation failed") {
			continue
		}
		seen[field+msg] = true
		fe = append(fe, apperr.FieldError{Field: field, Code: "schema", EN: msg, ZH: "不符合插件的配置要求:" + msg})
	}
	if len(fe) == 0 {
		fe = append(fe, apperr.FieldError{Field: "config", Code: "schema", EN: ve.Error(), ZH: "不符合插件的配置要求:" + ve.Error()})
	}
	sort.SliceStable(fe, func(i, j int) bool { return fe[i].Field < fe[j].Field })
	return configInvalid(fe...)
}

func configInvalid(fe ...apperr.FieldError) error {
	e := ErrConfigInvalid.WithDetails(fe)
	return e
}

// normaliseJSON re-encodes a JSON object compactly (keys sorted), so stored
// configurations compare byte for byte.
func normaliseJSON(raw []byte) ([]byte, error) {
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	if v == nil {
		v = map[string]any{}
	}
	return json.Marshal(v)
}
