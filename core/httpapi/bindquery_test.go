package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
)

type queryProbe struct {
	Floor   *int      `form:"floor"`
	Page    int       `form:"page"`
	Active  bool      `form:"active"`
	Room    uuid.UUID `form:"room_id"`
	Tags    []string  `form:"tag"`
	Name    string    `form:"name"`
	Need    string    `form:"need" binding:"required"`
	skipped int
}

func probeCtx(target, body string) *gin.Context {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("GET", target, strings.NewReader(body))
	return c
}

func fieldCodes(t *testing.T, err error) map[string]string {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("not an apperr: %v", err)
	}
	fe, ok := e.Details.([]apperr.FieldError)
	if !ok {
		t.Fatalf("details %T %v", e.Details, e.Details)
	}
	out := map[string]string{}
	for _, f := range fe {
		if f.EN == "" || f.ZH == "" || strings.Contains(f.EN, "strconv") {
			t.Errorf("message of %s: %q / %q", f.Field, f.EN, f.ZH)
		}
		out[f.Field] = f.Code
	}
	return out
}

// A query value that does not parse names its parameter; all of them are
// reported at once, never as a Go parse error.
func TestBindQueryNamesFields(t *testing.T) {
	var q queryProbe
	err := BindQuery(probeCtx("/x?floor=abc&page=1.5&active=maybe&room_id=nope&need=1", ""), &q)
	got := fieldCodes(t, err)
	want := map[string]string{"floor": "invalid", "page": "invalid", "active": "invalid", "room_id": "invalid"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all %v)", k, got[k], v, got)
		}
	}
	if e, _ := apperr.As(err); e.Code != "invalid_input" {
		t.Errorf("code %s", e.Code)
	}

	if got := fieldCodes(t, BindQuery(probeCtx("/x", ""), &queryProbe{})); got["need"] != "required" || len(got) != 1 {
		t.Errorf("required: %v", got)
	}

	id := uuid.New()
	q = queryProbe{}
	if err := BindQuery(probeCtx("/x?floor=-2&page=3&active=true&room_id="+id.String()+"&tag=a&tag=b&name=%E5%BC%A0&need=y&floor=", ""), &q); err != nil {
		t.Fatal(err)
	}
	if q.Floor == nil || *q.Floor != -2 || q.Page != 3 || !q.Active || q.Room != id || len(q.Tags) != 2 || q.Name != "张" || q.Need != "y" {
		t.Fatalf("bound %+v", q)
	}
	q = queryProbe{}
	if err := BindQuery(probeCtx("/x?floor=&need=y", ""), &q); err != nil || q.Floor != nil {
		t.Fatalf("floor: %v %+v", err, q)
	}
}

// An unknown JSON field has its own code and names the field.
func TestBindJSONUnknownField(t *testing.T) {
	var dst struct {
		Name string `json:"name"`
	}
	err := BindJSON(probeCtx("/x", `{"name":"a","shoe_size":42}`), &dst)
	e, ok := apperr.As(err)
	if !ok || e.Code != "unknown_field" {
		t.Fatalf("got %v", err)
	}
	b, _ := json.Marshal(e.Details)
	if !strings.Contains(string(b), `"field":"shoe_size"`) {
		t.Fatalf("details %s", b)
	}
}

type idProbe struct {
	CommunityID uuid.UUID   `json:"community_id"`
	Name        string      `json:"name"`
	Rooms       []uuid.UUID `json:"rooms"`
	Owner       *struct {
		ID uuid.UUID `json:"id"`
	} `json:"owner"`
}

func (p *idProbe) Validate() []apperr.FieldError {
	var fe []apperr.FieldError
	if p.CommunityID == uuid.Nil {
		fe = append(fe, apperr.FieldError{Field: "community_id", Code: "required", EN: "community_id is required", ZH: "请选择小区"})
	}
	if p.Name == "" {
		fe = append(fe, apperr.FieldError{Field: "name", Code: "required", EN: "name is required", ZH: "名称不能为空"})
	}
	return fe
}

// An ID that is not a UUID (a select left empty sends "") is named as a field
// error, beside the body's other field errors, not a bare "bad JSON".
func TestBindJSONNamesBadIDs(t *testing.T) {
	var dst idProbe
	err := BindJSON(probeCtx("/x", `{"community_id":"","name":"","rooms":["`+uuid.NewString()+`","x"],"owner":{"id":"nope"}}`), &dst)
	got := fieldCodes(t, err)
	want := map[string]string{"community_id": "required", "name": "required", "rooms[1]": "invalid_id", "owner.id": "invalid_id"}
	if len(got) != len(want) {
		t.Fatalf("field errors %v, want %v", got, want)
	}
	for f, c := range want {
		if got[f] != c {
			t.Fatalf("field errors %v, want %v", got, want)
		}
	}
	if e, _ := apperr.As(err); e.Code != "invalid_input" {
		t.Fatalf("code %s", e.Code)
	}
	// The fields after a bad ID are read too: no spurious "name is required".
	var again idProbe
	if got := fieldCodes(t, BindJSON(probeCtx("/x", `{"community_id":"abc","name":"泵"}`), &again)); len(got) != 1 || got["community_id"] != "invalid_id" {
		t.Fatalf("field errors %v, want only community_id", got)
	}
	// A long list of bad ids answers a bounded list of errors.
	var many idProbe
	body := `{"rooms":[` + strings.Repeat(`"x",`, 5000) + `"x"]}`
	if e, _ := apperr.As(BindJSON(probeCtx("/x", body), &many)); e == nil || len(e.Details.([]apperr.FieldError)) > 20 {
		t.Fatalf("many bad ids: %v", e)
	}
	// A body that is not JSON at all is still bad JSON.
	if e, _ := apperr.As(BindJSON(probeCtx("/x", `{"community_id":`), &dst)); e == nil || e.Code != apperr.BadJSON.Code {
		t.Fatalf("truncated body: %v", e)
	}
}
