package device

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wuye-project/wuye/core/apperr"
)

// A driver's device schema is checked with the catalogue's library and
// answered in its field-error style ("config.port"). Compiled schemas are
// kept by their text: a new driver version with the same schema reuses one.

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external schema references are not allowed (%s)", url)
}

const schemaURL = "wuye:device-config.json"

var schemas sync.Map // schema text → *jsonschema.Schema

func compiled(raw []byte) (*jsonschema.Schema, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte(`{"type":"object"}`)
	}
	if v, ok := schemas.Load(string(raw)); ok {
		return v.(*jsonschema.Schema), nil
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
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return nil, err
	}
	schemas.Store(string(raw), sch)
	return sch, nil
}

// checkConfig validates config (a JSON object) against the driver's device
// schema and returns it compact, or the field errors.
func checkConfig(schema, config []byte) (string, []apperr.FieldError) {
	if len(bytes.TrimSpace(config)) == 0 || string(bytes.TrimSpace(config)) == "null" {
		config = []byte("{}")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(config))
	obj, isObj := inst.(map[string]any)
	if err != nil || !isObj {
		return "", []apperr.FieldError{field("config", "not_object", "config must be a JSON object", "配置须为 JSON 对象")}
	}
	sch, err := compiled(schema)
	if err != nil {
		return "", []apperr.FieldError{field("driver", "bad_device_schema", "the driver's device schema does not compile: "+err.Error(), "驱动的设备配置模式无效:"+err.Error())}
	}
	if err := sch.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return "", []apperr.FieldError{field("config", "schema", err.Error(), "不符合驱动的配置要求:"+err.Error())}
		}
		return "", schemaErrors(ve)
	}
	out, _ := json.Marshal(obj)
	return string(out), nil
}

func schemaErrors(ve *jsonschema.ValidationError) []apperr.FieldError {
	seen := map[string]bool{}
	var fe []apperr.FieldError
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		msg := u.Error.String()
		name := "config" + strings.ReplaceAll(u.InstanceLocation, "/", ".")
		if seen[name+msg] || strings.HasPrefix(msg, "validation failed") {
			continue
		}
		seen[name+msg] = true
		fe = append(fe, field(name, "schema", msg, "不符合驱动的配置要求:"+msg))
	}
	if len(fe) == 0 {
		fe = append(fe, field("config", "schema", ve.Error(), "不符合驱动的配置要求:"+ve.Error()))
	}
	sort.SliceStable(fe, func(i, j int) bool { return fe[i].Field < fe[j].Field })
	return fe
}
