package identity

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestVerifiedTokenCache: a token answered from the cache is still checked
// against the clock, a token differing by one byte from a cached one is
// verified afresh (and refused), and the cache stays bounded.
func TestVerifiedTokenCache(t *testing.T) {
	s := newSigner([]byte("0123456789abcdef0123456789abcdef"), "wuye", "wuye-api")
	now := time.Unix(1_700_000_000, 0)
	sub, tid := uuid.New(), uuid.New()
	tok, err := s.sign(accessClaims{Sub: sub.String(), Tid: tid.String(), Kind: "user", Jti: "j", Iat: now.Unix(), Exp: now.Add(15 * time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the second answer comes from the cache
		a, iat, err := s.verify(tok, now)
		if err != nil || a.ID != sub || a.TenantID != tid || iat != now.Unix() {
			t.Fatalf("verify %d: %+v %d %v", i, a, iat, err)
		}
	}
	if _, ok := s.verified.load(tok); !ok {
		t.Fatal("verified token not cached")
	}
	// One character of the payload or the signature (not the last, whose low
	// bits base64 ignores).
	for _, i := range []int{len(jwtHeader) + 5, len(tok) - 10, len(tok) - 20} {
		c := byte('A')
		if tok[i] == c {
			c = 'B'
		}
		bad := tok[:i] + string(c) + tok[i+1:]
		if _, _, err := s.verify(bad, now); err != errBadToken {
			t.Fatalf("token changed at %d: %v", i, err)
		}
	}
	if _, _, err := s.verify(tok, now.Add(16*time.Minute)); err != ErrTokenExpired {
		t.Fatalf("cached token after expiry: %v", err)
	}
	if _, _, err := s.verify(tok, now.Add(-time.Hour)); err != errBadToken {
		t.Fatalf("cached token before its iat: %v", err)
	}
	for i := range maxVerified + 10 {
		s.verified.store(strconv.Itoa(i), verifiedToken{})
	}
	if n := s.verified.n.Load(); n > maxVerified {
		t.Fatalf("cache holds %d tokens, bound %d", n, maxVerified)
	}
}
