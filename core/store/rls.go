package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"

	"github.com/google/uuid"
)

// On Postgres the tenant of a transaction is two transaction-local settings:
// app.tenant_id and app.tenant_sig, the hex SHA-256 of a key followed by the
// id. The policies (through wuye_current_tenant, migration 00011) honour the
// id only with its signature, and the key lives in a table only the platform
// role may read. So a statement smuggled into a tenant transaction (SQL
// injection, a compromised connection) that sets another tenant's id sees
// nothing: it cannot compute that tenant's signature.

// loadRLSKey reads the signing key through the platform pool.
func loadRLSKey(ctx context.Context, platform *sql.DB) ([]byte, error) {
	var k []byte
	if err := platform.QueryRowContext(ctx, "SELECT key FROM rls_keys WHERE id = 1").Scan(&k); err != nil {
		return nil, fmt.Errorf("store: read the tenant-signing key (have the migrations run?): %w", err)
	}
	return k, nil
}

// tenantSig signs tenantID's text form with key.
func tenantSig(key []byte, tenantID uuid.UUID) string {
	h := sha256.New()
	h.Write(key)
	h.Write([]byte(tenantID.String()))
	return hex.EncodeToString(h.Sum(nil))
}

// tenantSetup is the statement that makes a Postgres transaction tenantID's.
// It is built from a UUID and a hex digest, never from input.
func (db *DB) tenantSetup(tenantID uuid.UUID) string {
	return db.tenantSetting(tenantID, "true")
}

// tenantSession makes a read-path connection's session tenantID's (pgtx.go).
func (db *DB) tenantSession(tenantID uuid.UUID) string {
	return db.tenantSetting(tenantID, "false")
}

func (db *DB) tenantSetting(tenantID uuid.UUID, local string) string {
	return "SELECT set_config('app.tenant_id', '" + tenantID.String() + "', " + local + "), set_config('app.tenant_sig', '" + tenantSig(db.rlsKey, tenantID) + "', " + local + ")"
}
