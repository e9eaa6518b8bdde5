package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
)

var apiKeys atomic.Int64

// apiCall makes one API call beside the browser, as the holder of tok (none
// when empty), with a JSON body when body is not nil and a fresh
// Idempotency-Key on anything but a GET; it answers the status and the body.
func apiCall(t *testing.T, tok, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, server.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("e2e-%d-%d", apiKeys.Add(1), apiKeys.Load()))
	}
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

// apiMust is apiCall that fails the test unless the status is want (any 2xx
// when want is 0) and decodes the answer into out when out is not nil.
func apiMust(t *testing.T, tok, method, path string, body any, want int, out any) []byte {
	t.Helper()
	code, raw := apiCall(t, tok, method, path, body)
	if (want == 0 && code/100 != 2) || (want != 0 && code != want) {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, code, want, raw)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return raw
}
