// Package pii protects personal data at rest: AES-256-GCM encryption under a
// keyring whose key id travels with every ciphertext (so keys rotate), an
// HMAC-SHA256 blind index for exact search without decrypting, and masking
// for display. It knows nothing about tables; the domain packages decide
// which fields are personal and how they are normalised before indexing.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// KeySize is the length of every encryption key (AES-256) and the minimum of the index key.
const KeySize = 32

// Keyring holds the encryption keys by id, the one new data is encrypted
// with, and the separate key of the blind index.
type Keyring struct {
	aeads    map[string]cipher.AEAD
	active   string
	indexKey []byte
}

// ErrUnknownKey means a ciphertext names a key id the keyring does not hold.
var ErrUnknownKey = errors.New("pii: ciphertext names a key id that is not configured")

// ErrCorrupt means a ciphertext is malformed or fails authentication.
var ErrCorrupt = errors.New("pii: ciphertext is damaged or was moved from another field or tenant")

// NewKeyring checks and loads the keys. Key ids are short names without ':'.
func NewKeyring(keys map[string][]byte, active string, indexKey []byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("pii: no encryption keys configured")
	}
	if _, ok := keys[active]; !ok {
		return nil, fmt.Errorf("pii: active key id %q is not among the configured keys", active)
	}
	if len(indexKey) < KeySize {
		return nil, fmt.Errorf("pii: the index key must be at least %d bytes", KeySize)
	}
	k := &Keyring{aeads: map[string]cipher.AEAD{}, active: active, indexKey: append([]byte(nil), indexKey...)}
	for id, key := range keys {
		if id == "" || strings.ContainsAny(id, ": ") || len(id) > 32 {
			return nil, fmt.Errorf("pii: key id %q must be 1-32 characters without ':' or spaces", id)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("pii: key %q must be %d bytes, got %d", id, KeySize, len(key))
		}
		if hmac.Equal(key, indexKey) {
			return nil, fmt.Errorf("pii: key %q must differ from the index key", id)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.aeads[id] = aead
	}
	return k, nil
}

// ActiveKeyID is the id new ciphertexts are made with.
func (k *Keyring) ActiveKeyID() string { return k.active }

// Context binds a ciphertext to its tenant and field: the same bytes copied
// into another tenant's row or another column fail to decrypt.
func Context(tenantID uuid.UUID, field string) []byte {
	return []byte("wuye/pii/" + field + "/" + tenantID.String())
}

// Encrypt seals plain under the active key: "keyid:base64(nonce|ciphertext)".
// The empty string stays empty (no value, nothing to protect).
func (k *Keyring) Encrypt(plain string, aad []byte) (string, error) {
	if plain == "" {
		return "", nil
	}
	aead := k.aeads[k.active]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(plain), aad)
	return k.active + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Decrypt opens a ciphertext made by Encrypt with any configured key.
func (k *Keyring) Decrypt(ct string, aad []byte) (string, error) {
	if ct == "" {
		return "", nil
	}
	id, body, ok := strings.Cut(ct, ":")
	if !ok {
		return "", ErrCorrupt
	}
	aead, ok := k.aeads[id]
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownKey, id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", ErrCorrupt
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad)
	if err != nil {
		return "", ErrCorrupt
	}
	return string(plain), nil
}

// KeyID returns the key id a ciphertext was made with ("" for an empty value).
func KeyID(ct string) string {
	id, _, _ := strings.Cut(ct, ":")
	return id
}

// Reencrypt returns ct sealed under the active key; changed is false when it
// already was (or is empty), so callers write only rows that moved.
func (k *Keyring) Reencrypt(ct string, aad []byte) (out string, changed bool, err error) {
	if ct == "" || KeyID(ct) == k.active {
		return ct, false, nil
	}
	plain, err := k.Decrypt(ct, aad)
	if err != nil {
		return "", false, err
	}
	out, err = k.Encrypt(plain, aad)
	return out, err == nil, err
}

// Index is the blind index of a normalised value: HMAC-SHA256 under the index
// key over tenant, kind and value, hex encoded. Equal values of one tenant
// give equal indexes; without the key the index reveals nothing, and the same
// phone in two tenants gives unrelated indexes.
func (k *Keyring) Index(tenantID uuid.UUID, kind, normalised string) string {
	m := hmac.New(sha256.New, k.indexKey)
	m.Write(tenantID[:])
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(normalised))
	return hex.EncodeToString(m.Sum(nil))
}

// ParseKeys reads a keyring setting "id:hex,id:hex" (each key 32 bytes of hex).
func ParseKeys(s string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, h, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("pii: key %q must be written id:hex", id)
		}
		k, err := hex.DecodeString(h)
		if err != nil || len(k) != KeySize {
			return nil, fmt.Errorf("pii: key %q must be %d bytes of hex", id, KeySize)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("pii: key id %q appears twice", id)
		}
		out[id] = k
	}
	if len(out) == 0 {
		return nil, errors.New("pii: no keys in the setting")
	}
	return out, nil
}
