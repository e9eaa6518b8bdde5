package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"hash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
)

// Access tokens are HS256 JWTs we issue and verify ourselves. The header is
// fixed, and verification demands exactly those bytes, so the algorithm is
// pinned: "none", RS256/HS256 confusion or any other header is refused before
// the signature is even looked at. Verification is DB-free and pools its HMAC
// and buffers because it runs on every request; a token that passed it is
// remembered (verifiedTokens), so a client's next requests with the same
// token skip the HMAC and the JSON. Time checks, revocation and the operator
// check still run on every request.

// jwtHeader is base64url({"alg":"HS256","typ":"JWT"}).
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// accessClaims are the claims of an access token.
type accessClaims struct {
	Iss  string `json:"iss"`
	Aud  string `json:"aud"`
	Sub  string `json:"sub"`
	Tid  string `json:"tid,omitempty"` // tenant id; absent for operators
	Kind string `json:"knd"`           // "user" or "operator"
	Name string `json:"name,omitempty"`
	Jti  string `json:"jti"`
	Iat  int64  `json:"iat"`
	Exp  int64  `json:"exp"`
}

// Errors of bearer-credential checks.
var (
	ErrTokenExpired = apperr.New(apperr.KindUnauthenticated, "token_expired", "The access token has expired; refresh it or sign in again.", "访问令牌已过期,请刷新令牌或重新登录。")
	errBadToken     = apperr.Unauthenticated.WithDetails(map[string]string{"reason": "invalid_token"})
)

// clockSkew tolerates small clock differences between API nodes.
const clockSkew = 30 * time.Second

type signer struct {
	iss, aud string
	pool     sync.Pool // *macState
	verified verifiedTokens
}

// verifiedTokens maps a token that verified (the whole string: any other
// bytes are verified afresh) to what verification found. It holds at most
// maxVerified tokens; when full it starts over, so a flood of tokens costs
// only the verification it would have cost anyway. Failures are never kept.
type verifiedTokens struct {
	m atomic.Pointer[sync.Map] // string → verifiedToken
	n atomic.Int64
}

type verifiedToken struct {
	a        actor.Actor
	iat, exp int64
}

// maxVerified bounds the cache (about 10 MB at most): more than the tokens
// live (15 minutes) on one node at once in any deployment we size for.
const maxVerified = 20000

func (v *verifiedTokens) load(tok string) (verifiedToken, bool) {
	m := v.m.Load()
	if m == nil {
		return verifiedToken{}, false
	}
	e, ok := m.Load(tok)
	if !ok {
		return verifiedToken{}, false
	}
	return e.(verifiedToken), true
}

func (v *verifiedTokens) store(tok string, e verifiedToken) {
	m := v.m.Load()
	if m == nil || v.n.Add(1) > maxVerified {
		m = &sync.Map{}
		v.m.Store(m)
		v.n.Store(1)
	}
	m.Store(tok, e)
}

type macState struct {
	mac hash.Hash
	buf []byte // the token being verified
	dec []byte // its decoded payload
	sum [sha256.Size]byte
	sig [sha256.Size + 2]byte
}

func newSigner(secret []byte, iss, aud string) *signer {
	s := &signer{iss: iss, aud: aud}
	key := append([]byte(nil), secret...)
	s.pool.New = func() any {
		return &macState{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 512), dec: make([]byte, 0, 384)}
	}
	return s
}

// sign returns the compact JWT for c.
func (s *signer) sign(c accessClaims) (string, error) {
	c.Iss, c.Aud = s.iss, s.aud
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	st := s.pool.Get().(*macState)
	defer s.pool.Put(st)
	var b strings.Builder
	b.Grow(len(jwtHeader) + 2 + base64.RawURLEncoding.EncodedLen(len(payload)) + 43)
	b.WriteString(jwtHeader)
	b.WriteByte('.')
	b.WriteString(base64.RawURLEncoding.EncodeToString(payload))
	st.mac.Reset()
	st.mac.Write([]byte(b.String()))
	b.WriteByte('.')
	b.WriteString(base64.RawURLEncoding.EncodeToString(st.mac.Sum(st.sum[:0])))
	return b.String(), nil
}

// verify checks a token's header, signature, issuer, audience and lifetime
// and returns its actor and iat.
func (s *signer) verify(tok string, now time.Time) (actor.Actor, int64, error) {
	if e, ok := s.verified.load(tok); ok {
		if err := checkTimes(e.iat, e.exp, now); err != nil {
			return actor.Actor{}, 0, err
		}
		return e.a, e.iat, nil
	}
	a, iat, exp, err := s.verifyFull(tok, now)
	if err != nil {
		return actor.Actor{}, 0, err
	}
	s.verified.store(tok, verifiedToken{a: a, iat: iat, exp: exp})
	return a, iat, nil
}

// checkTimes refuses a token that has expired or was issued in the future.
func checkTimes(iat, exp int64, now time.Time) error {
	unix := now.Unix()
	if exp == 0 || unix >= exp+int64(clockSkew/time.Second) {
		return ErrTokenExpired
	}
	if iat > unix+int64(clockSkew/time.Second) {
		return errBadToken
	}
	return nil
}

// verifyFull is verify without the cache; it also returns exp.
func (s *signer) verifyFull(tok string, now time.Time) (_ actor.Actor, iat, exp int64, _ error) {
	dot1 := strings.IndexByte(tok, '.')
	dot2 := strings.LastIndexByte(tok, '.')
	if dot1 < 0 || dot2 <= dot1 || len(tok) > 4096 || tok[:dot1] != jwtHeader {
		return actor.Actor{}, 0, 0, errBadToken
	}
	st := s.pool.Get().(*macState)
	defer s.pool.Put(st)
	st.buf = append(st.buf[:0], tok...)
	sigPart := st.buf[dot2+1:]
	if base64.RawURLEncoding.DecodedLen(len(sigPart)) != sha256.Size {
		return actor.Actor{}, 0, 0, errBadToken
	}
	if n, err := base64.RawURLEncoding.Decode(st.sig[:], sigPart); err != nil || n != sha256.Size {
		return actor.Actor{}, 0, 0, errBadToken
	}
	st.mac.Reset()
	st.mac.Write(st.buf[:dot2])
	if !hmac.Equal(st.mac.Sum(st.sum[:0]), st.sig[:sha256.Size]) {
		return actor.Actor{}, 0, 0, errBadToken
	}
	enc := st.buf[dot1+1 : dot2]
	st.dec = append(st.dec[:0], make([]byte, base64.RawURLEncoding.DecodedLen(len(enc)))...)
	n, err := base64.RawURLEncoding.Decode(st.dec, enc)
	if err != nil {
		return actor.Actor{}, 0, 0, errBadToken
	}
	var c accessClaims
	if err := json.Unmarshal(st.dec[:n], &c); err != nil {
		return actor.Actor{}, 0, 0, errBadToken
	}
	if c.Iss != s.iss || c.Aud != s.aud {
		return actor.Actor{}, 0, 0, errBadToken
	}
	if err := checkTimes(c.Iat, c.Exp, now); err != nil {
		return actor.Actor{}, 0, 0, err
	}
	a := actor.Actor{Name: c.Name}
	if a.ID, err = uuid.Parse(c.Sub); err != nil {
		return actor.Actor{}, 0, 0, errBadToken
	}
	switch c.Kind {
	case string(actor.User):
		a.Kind = actor.User
		if a.TenantID, err = uuid.Parse(c.Tid); err != nil || a.TenantID == uuid.Nil {
			return actor.Actor{}, 0, 0, errBadToken
		}
	case string(actor.Operator):
		if c.Tid != "" {
			return actor.Actor{}, 0, 0, errBadToken
		}
		a.Kind = actor.Operator
	default:
		return actor.Actor{}, 0, 0, errBadToken
	}
	return a, c.Iat, c.Exp, nil
}
