package web_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/wuye-project/wuye/core/app"
)

// TestOpenAPIUpToDate: the console's copy of the OpenAPI document (from which
// src/api/schema.d.ts is generated) is the one the server serves; after an
// API change run `make openapi` and then `make ui`.
func TestOpenAPIUpToDate(t *testing.T) {
	want, err := app.OpenAPIJSON(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, want) {
		t.Fatal("core/web/openapi.json is stale: run `make openapi` and `make ui`, and commit the result")
	}
}
