package identity_test

import (
	"strings"
	"testing"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/identity"
)

func errCode(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := identity.HashPassword("correct-horse-9", identity.DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the OWASP parameters in PHC form", h)
	}
	h2, _ := identity.HashPassword("correct-horse-9", identity.DefaultArgon2)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	ok, rehash, err := identity.VerifyPassword("correct-horse-9", h, identity.DefaultArgon2)
	if err != nil || !ok || rehash {
		t.Fatalf("verify right password: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
	if ok, _, _ := identity.VerifyPassword("correct-horse-8", h, identity.DefaultArgon2); ok {
		t.Fatal("wrong password verified")
	}
	stronger := identity.DefaultArgon2
	stronger.Time = 3
	if _, rehash, _ := identity.VerifyPassword("correct-horse-9", h, stronger); !rehash {
		t.Fatal("a hash with older parameters is not flagged for rehash")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "plain"} {
		if _, _, err := identity.VerifyPassword("x", bad, identity.DefaultArgon2); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	cases := map[string]string{
		"short1":                 "too_short",
		"alllowercaseletters":    "one_character_class",
		"12345678901234":         "one_character_class",
		"alice-is-great-1":       "contains_username",
		"Password123":            "common_password",
		strings.Repeat("a1", 65): "too_long",
		"correct-horse-9":        "",
		"密码很长而且很安全的密码123": "",
	}
	for pw, reason := range cases {
		err := identity.CheckPassword(pw, "alice")
		if reason == "" {
			if err != nil {
				t.Errorf("%q refused: %v", pw, err)
			}
			continue
		}
		wantCode(t, err, "weak_password")
		e, _ := apperr.As(err)
		if got := e.Details.(map[string]any)["reason"]; got != reason {
			t.Errorf("%q: reason %v, want %s", pw, got, reason)
		}
	}
	for i := 0; i < 20; i++ {
		if p := identity.GeneratePassword(20); len(p) != 20 || identity.CheckPassword(p, "") != nil {
			t.Fatalf("generated password %q fails the policy", p)
		}
	}
}
