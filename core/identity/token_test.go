package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// forge signs claims with golang-jwt, an independent implementation, so the
// test also proves our tokens and checks follow the standard.
func forge(t testing.TB, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAccessTokenChecks(t *testing.T) {
	db := storetest.SQLite(t)
	f := newFixture(t, db)
	ctx := context.Background()
	tid := f.tenant(t, "acme")
	u := f.user(t, tid, identity.NewUser{Username: "alice"})
	sess, err := f.svc.Login(ctx, identity.LoginInput{Login: "alice", Password: "correct-horse-9", IP: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.Authenticate(ctx, sess.AccessToken)
	if err != nil || a.Kind != actor.User || a.ID != u.ID || a.TenantID != tid || a.Name != "alice" {
		t.Fatalf("authenticate own token: %+v %v", a, err)
	}
	// golang-jwt accepts our token with the same expectations.
	parsed, err := jwt.Parse(sess.AccessToken, func(*jwt.Token) (any, error) { return testSecret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("wuye"), jwt.WithAudience("wuye-api"), jwt.WithExpirationRequired())
	if err != nil || !parsed.Valid {
		t.Fatalf("golang-jwt rejects our token: %v", err)
	}

	now := f.clock.Now()
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "wuye", "aud": "wuye-api", "sub": u.ID.String(), "tid": tid.String(), "knd": "user",
			"jti": "x", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	}
	with := func(k string, v any) jwt.MapClaims {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	if _, err := f.svc.Authenticate(ctx, forge(t, jwt.SigningMethodHS256, testSecret, good())); err != nil {
		t.Fatalf("a well-formed forged-by-library token with the right key is refused: %v", err)
	}
	none := forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good())
	cases := map[string]struct {
		tok  string
		code string
	}{
		"alg none":         {none, "unauthenticated"},
		"alg HS384":        {forge(t, jwt.SigningMethodHS384, testSecret, good()), "unauthenticated"},
		"alg HS512":        {forge(t, jwt.SigningMethodHS512, testSecret, good()), "unauthenticated"},
		"other secret":     {forge(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-32"), good()), "unauthenticated"},
		"wrong audience":   {forge(t, jwt.SigningMethodHS256, testSecret, with("aud", "someone-else")), "unauthenticated"},
		"audience array":   {forge(t, jwt.SigningMethodHS256, testSecret, with("aud", []string{"wuye-api"})), "unauthenticated"},
		"wrong issuer":     {forge(t, jwt.SigningMethodHS256, testSecret, with("iss", "evil")), "unauthenticated"},
		"expired":          {forge(t, jwt.SigningMethodHS256, testSecret, with("exp", now.Add(-time.Minute).Unix())), "token_expired"},
		"no expiry":        {forge(t, jwt.SigningMethodHS256, testSecret, with("exp", nil)), "token_expired"},
		"issued in future": {forge(t, jwt.SigningMethodHS256, testSecret, with("iat", now.Add(time.Hour).Unix())), "unauthenticated"},
		"bad kind":         {forge(t, jwt.SigningMethodHS256, testSecret, with("knd", "api_key")), "unauthenticated"},
		"user w/o tenant":  {forge(t, jwt.SigningMethodHS256, testSecret, with("tid", nil)), "unauthenticated"},
		"operator tenant":  {forge(t, jwt.SigningMethodHS256, testSecret, with("knd", "operator")), "unauthenticated"},
		"tampered payload": {tamper(sess.AccessToken, len(sess.AccessToken)-50), "unauthenticated"},
		"garbage":          {"not.a.jwt", "unauthenticated"},
		"empty":            {"", "unauthenticated"},
	}
	for name, c := range cases {
		if _, err := f.svc.Authenticate(ctx, c.tok); errCode(err) != c.code {
			t.Errorf("%s: got %v, want %s", name, err, c.code)
		}
	}
	// The real token expires after 15 minutes.
	f.clock.Add(16 * time.Minute)
	if _, err := f.svc.Authenticate(ctx, sess.AccessToken); errCode(err) != "token_expired" {
		t.Fatalf("15-minute token after 16 minutes: %v", err)
	}
	if n := len(f.rec.find("auth.token", "denied", "")); n < len(cases) {
		t.Fatalf("%d token failures audited, want at least %d", n, len(cases))
	}
}

// BenchmarkAuthenticateJWT measures the per-request cost of checking an access token.
func BenchmarkAuthenticateJWT(b *testing.B) {
	db := storetest.SQLite(b)
	f := newFixture(b, db)
	ctx := context.Background()
	tid := f.tenant(b, "acme")
	f.user(b, tid, identity.NewUser{Username: "alice"})
	sess, err := f.svc.Login(ctx, identity.LoginInput{Login: "alice", Password: "correct-horse-9"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.svc.Authenticate(ctx, sess.AccessToken); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// tamper changes the character at i (to one it is not).
func tamper(tok string, i int) string {
	c := byte('A')
	if tok[i] == c {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
