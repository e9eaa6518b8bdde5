package device

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/pii"
)

// tokenPrefix marks device ingress tokens in logs and secret scanners.
const tokenPrefix = "wdt_"

// newToken is a fresh ingress token: 32 random bytes.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what is stored of a token. Tokens are random, so an unsalted
// SHA-256 suffices (no dictionary to guess from).
func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// tokenMatches compares in constant time.
func tokenMatches(hash, token string) bool {
	if hash == "" || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hash), []byte(hashToken(token))) == 1
}

func secretsAAD(tenantID, id uuid.UUID) []byte {
	return pii.Context(tenantID, "device.devices.secrets/"+id.String())
}

func (s *Service) sealSecrets(tenantID, id uuid.UUID, sec map[string]string) (string, error) {
	if len(sec) == 0 {
		return "", nil
	}
	if s.opt.Keys == nil {
		return "", errors.New("device: no keyring to seal device secrets")
	}
	b, _ := json.Marshal(sec)
	return s.opt.Keys.Encrypt(string(b), secretsAAD(tenantID, id))
}

func (s *Service) openSecrets(d Device) (map[string]string, error) {
	out := map[string]string{}
	if d.SecretsEnc == "" {
		return out, nil
	}
	if s.opt.Keys == nil {
		return nil, errors.New("device: no keyring to open device secrets")
	}
	plain, err := s.opt.Keys.Decrypt(d.SecretsEnc, secretsAAD(d.TenantID, d.ID))
	if err != nil {
		return nil, err
	}
	return out, json.Unmarshal([]byte(plain), &out)
}
