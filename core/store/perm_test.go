package store_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/wuye-project/wuye/core/store"
)

// TestSQLiteFilesPrivate: the data dir is 0700 and every file in it (the
// database, its -wal and -shm) 0600, whether SQLite creates the database or
// an older version left it (and the dir) readable by others.
func TestSQLiteFilesPrivate(t *testing.T) {
	for _, existing := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "data")
		if existing {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "wuye.db"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		ctx := context.Background()
		cfg := store.Config{DataDir: dir}
		if _, err := store.Migrate(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE perm_probe (x integer)"); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("existing=%v: data dir mode %v, %v", existing, st.Mode().Perm(), err)
		}
		seen := map[string]bool{}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			seen[d.Name()] = true
			if info.Mode().Perm() != 0o600 {
				t.Errorf("existing=%v: %s has mode %v", existing, d.Name(), info.Mode().Perm())
			}
			return nil
		})
		db.Close()
		for _, n := range []string{"wuye.db", "wuye.db-wal", "wuye.db-shm"} {
			if !seen[n] {
				t.Errorf("existing=%v: %s not found (saw %v)", existing, n, seen)
			}
		}
	}
}
