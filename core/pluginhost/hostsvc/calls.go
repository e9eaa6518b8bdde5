package hostsvc

import (
	"crypto/rand"
	"encoding/base64"
	"sync"

	"github.com/google/uuid"
)

// Caller is who an HTTP request proxied to a plugin was authenticated as.
type Caller struct {
	Kind      string // actor kind: "user" or "api_key"
	ID        uuid.UUID
	Name      string
	IP        string
	RequestID string
}

// Calls names the HTTP requests being served by plugins, so the Host calls a
// plugin makes while serving one are attributed to its caller (audit, the
// actor of a work order or charge). The proxy calls Begin before
// HandleHTTP, sends the token as HTTPRequest.call_token, and calls End when
// the answer is back; the SDK sends the token as gRPC metadata
// "wuye-call-token" on Host calls. A token is random, lives only while its
// request is served, and names its tenant and plugin: a process cannot use
// another's token.
type Calls struct {
	mu sync.Mutex
	m  map[string]call
}

type call struct {
	tenant uuid.UUID
	plugin string
	c      Caller
}

// NewCalls returns an empty registry.
func NewCalls() *Calls { return &Calls{m: map[string]call{}} }

// Begin registers a request of tenantID to plugin and returns its token.
func (cs *Calls) Begin(tenantID uuid.UUID, plugin string, c Caller) string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	cs.mu.Lock()
	cs.m[tok] = call{tenantID, plugin, c}
	cs.mu.Unlock()
	return tok
}

// End forgets a token.
func (cs *Calls) End(token string) {
	cs.mu.Lock()
	delete(cs.m, token)
	cs.mu.Unlock()
}

// Lookup returns the caller of a live token of tenantID's plugin.
func (cs *Calls) Lookup(tenantID uuid.UUID, plugin, token string) (Caller, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.m[token]
	if !ok || c.tenant != tenantID || c.plugin != plugin {
		return Caller{}, false
	}
	return c.c, true
}
