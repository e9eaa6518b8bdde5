package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// secretFile returns the secret kept in dataDir/name, creating a random one
// (0600) on first use. Several nodes must share WUYE_JWT_SECRET instead.
func secretFile(dataDir, name string, size int) ([]byte, error) {
	p := filepath.Join(dataDir, name)
	b, err := os.ReadFile(p)
	if err == nil {
		s, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(s) < size {
			return nil, fmt.Errorf("secret file %s is damaged; delete it to generate a new one", p)
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	s := make([]byte, size)
	if _, err := rand.Read(s); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p, []byte(hex.EncodeToString(s)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return s, nil
}

// writePrivate writes a file only its owner can read.
func writePrivate(p, content string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(content), 0o600)
}
