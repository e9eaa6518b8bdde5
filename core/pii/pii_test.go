package pii_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/pii"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, pii.KeySize) }

func TestEncryptDecryptRotate(t *testing.T) {
	tenant, other := uuid.New(), uuid.New()
	old, err := pii.NewKeyring(map[string][]byte{"k1": key(1)}, "k1", key(9))
	if err != nil {
		t.Fatal(err)
	}
	aad := pii.Context(tenant, "phone")
	ct, err := old.Encrypt("13812345678", aad)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ct, "13812345678") || pii.KeyID(ct) != "k1" {
		t.Fatalf("ciphertext %q leaks the value or lacks its key id", ct)
	}
	ct2, _ := old.Encrypt("13812345678", aad)
	if ct == ct2 {
		t.Fatal("two encryptions of one value are equal: the nonce is not random")
	}
	if got, err := old.Decrypt(ct, aad); err != nil || got != "13812345678" {
		t.Fatalf("decrypt = %q, %v", got, err)
	}
	// Moved to another tenant or field: refused.
	if _, err := old.Decrypt(ct, pii.Context(other, "phone")); !errors.Is(err, pii.ErrCorrupt) {
		t.Fatalf("decrypt under another tenant: %v, want ErrCorrupt", err)
	}
	if _, err := old.Decrypt(ct, pii.Context(tenant, "id_number")); !errors.Is(err, pii.ErrCorrupt) {
		t.Fatalf("decrypt under another field: %v, want ErrCorrupt", err)
	}
	// Rotation: k2 becomes active, k1 stays readable until rows are re-encrypted.
	both, err := pii.NewKeyring(map[string][]byte{"k1": key(1), "k2": key(2)}, "k2", key(9))
	if err != nil {
		t.Fatal(err)
	}
	re, changed, err := both.Reencrypt(ct, aad)
	if err != nil || !changed || pii.KeyID(re) != "k2" {
		t.Fatalf("reencrypt = %q changed=%v err=%v", re, changed, err)
	}
	if _, changed, _ := both.Reencrypt(re, aad); changed {
		t.Fatal("re-encrypting an active-key ciphertext should be a no-op")
	}
	if got, _ := both.Decrypt(re, aad); got != "13812345678" {
		t.Fatalf("after rotation decrypt = %q", got)
	}
	if _, err := old.Decrypt(re, aad); !errors.Is(err, pii.ErrUnknownKey) {
		t.Fatalf("old keyring on new ciphertext: %v, want ErrUnknownKey", err)
	}
	// The blind index ignores the encryption key but depends on the tenant.
	if old.Index(tenant, "phone", "138") != both.Index(tenant, "phone", "138") {
		t.Fatal("blind index changed with the encryption key")
	}
	if old.Index(tenant, "phone", "138") == old.Index(other, "phone", "138") {
		t.Fatal("blind index equal across tenants")
	}
}

func TestKeyringRejectsBadConfig(t *testing.T) {
	cases := map[string]func() error{
		"no keys":      func() error { _, err := pii.NewKeyring(nil, "k1", key(9)); return err },
		"short key":    func() error { _, err := pii.NewKeyring(map[string][]byte{"k1": key(1)[:16]}, "k1", key(9)); return err },
		"no active":    func() error { _, err := pii.NewKeyring(map[string][]byte{"k1": key(1)}, "k2", key(9)); return err },
		"short index":  func() error { _, err := pii.NewKeyring(map[string][]byte{"k1": key(1)}, "k1", key(9)[:8]); return err },
		"colon id":     func() error { _, err := pii.NewKeyring(map[string][]byte{"a:b": key(1)}, "a:b", key(9)); return err },
		"index reused": func() error { _, err := pii.NewKeyring(map[string][]byte{"k1": key(1)}, "k1", key(1)); return err },
	}
	for name, f := range cases {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678":        "138****5678",
		"110101199003071234": "110***********1234",
		"E12345678":          "*****5678",
		"+85291234567":       "+85*****4567",
		"12345":              "****5",
		"":                   "",
	} {
		got := pii.MaskPhone(in)
		if len(in) == 18 {
			got = pii.MaskID(in)
		}
		if got != want {
			t.Errorf("mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseKeys(t *testing.T) {
	h := strings.Repeat("ab", 32)
	keys, err := pii.ParseKeys("k1:" + h + ", k2:" + strings.Repeat("cd", 32))
	if err != nil || len(keys) != 2 || keys["k1"][0] != 0xab {
		t.Fatalf("ParseKeys = %v, %v", keys, err)
	}
	for _, bad := range []string{"", "k1", "k1:zz", "k1:abcd", "k1:" + h + ",k1:" + h} {
		if _, err := pii.ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
}
