package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/wuye-project/wuye/core/apperr"
)

// Argon2Params are argon2id cost parameters. Hashes carry their own
// parameters (PHC string), so raising them later only affects new hashes;
// older ones are rehashed on the next successful login.
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
	SaltLen   int
	KeyLen    uint32
}

// DefaultArgon2 is the first OWASP recommendation for argon2id: 19 MiB, 2 passes, 1 lane.
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Passwords longer than this are refused: hashing cost must not be the caller's to choose.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 128
)

var b64 = base64.RawStdEncoding

// HashPassword returns the PHC string $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func HashPassword(password string, p Argon2Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("identity: malformed password hash")

// parseHash reads a PHC argon2id string back into its parameters, salt and key.
func parseHash(phc string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	// Bounds keep a corrupted row from making one login cost gigabytes.
	if p.MemoryKiB < 8 || p.MemoryKiB > 1<<20 || p.Time < 1 || p.Time > 16 || p.Threads < 1 {
		return p, nil, nil, errBadHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, errBadHash
	}
	p.SaltLen, p.KeyLen = len(salt), uint32(len(key))
	return p, salt, key, nil
}

// VerifyPassword reports whether password matches the PHC hash, comparing in
// constant time, and whether the hash should be redone with want's parameters.
func VerifyPassword(password, phc string, want Argon2Params) (ok, rehash bool, err error) {
	p, salt, key, err := parseHash(phc)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	ok = subtle.ConstantTimeCompare(got, key) == 1
	rehash = p.MemoryKiB != want.MemoryKiB || p.Time != want.Time || p.Threads != want.Threads || p.KeyLen != want.KeyLen
	return ok, rehash, nil
}

// ErrWeakPassword is returned for a password the policy refuses; details.reason says why.
var ErrWeakPassword = apperr.New(apperr.KindInvalid, "weak_password",
	"The password is too weak: use at least 10 characters mixing letters with digits or symbols, not your username and not a common password.",
	"密码强度不足:至少 10 个字符,混合字母与数字或符号,不能是用户名或常见密码。")

// commonPasswords are refused outright even though they pass the class rule.
var commonPasswords = map[string]bool{
	"password123": true, "password1234": true, "passw0rd123": true, "qwerty12345": true, "qwertyuiop1": true,
	"1234567890a": true, "a1234567890": true, "abc1234567": true, "abcd123456": true, "iloveyou123": true,
	"welcome123": true, "admin12345": true, "administrator1": true, "changeme123": true, "letmein1234": true,
	"1qaz2wsx3edc": true, "zaq12wsx": true, "woaini1314": true, "wuye123456": true, "p@ssw0rd123": true,
}

// CheckPassword applies the password policy: 10 to 128 characters, at least
// two character classes (lower, upper, digit, other), not the username, not a
// well-known password.
func CheckPassword(password, username string) error {
	reason := ""
	n := utf8.RuneCountInString(password)
	lower := strings.ToLower(password)
	switch {
	case n < MinPasswordLen:
		reason = "too_short"
	case len(password) > MaxPasswordLen:
		reason = "too_long"
	case classes(password) < 2:
		reason = "one_character_class"
	case username != "" && strings.Contains(lower, strings.ToLower(username)):
		reason = "contains_username"
	case commonPasswords[lower]:
		reason = "common_password"
	}
	if reason != "" {
		return ErrWeakPassword.WithDetails(map[string]any{"reason": reason, "min_length": MinPasswordLen, "max_bytes": MaxPasswordLen})
	}
	return nil
}

func classes(s string) int {
	var lo, up, di, ot int
	for _, r := range s {
		switch {
		case unicode.IsLower(r):
			lo = 1
		case unicode.IsUpper(r):
			up = 1
		case unicode.IsDigit(r):
			di = 1
		default:
			ot = 1
		}
	}
	return lo + up + di + ot
}

// GeneratePassword returns a random password of n characters (n >= 10) that
// passes the policy. Rejection sampling keeps every character equally likely.
func GeneratePassword(n int) string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	const limit = 256 - 256%len(alphabet)
	for {
		out := make([]byte, 0, n)
		var buf [64]byte
		for len(out) < n {
			rand.Read(buf[:])
			for _, c := range buf {
				if int(c) < limit && len(out) < n {
					out = append(out, alphabet[int(c)%len(alphabet)])
				}
			}
		}
		if s := string(out); classes(s) >= 3 && CheckPassword(s, "") == nil {
			return s
		}
	}
}
