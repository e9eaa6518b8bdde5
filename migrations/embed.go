// Package migrations holds the versioned SQL schema, one folder per dialect.
// Files are named NNNNN_name.sql and applied in order, each in a transaction,
// by store.Migrate. Both folders must define the same tables and columns
// (a test in core/store checks it). Postgres files also enable row-level
// security on every tenant-owned table:
//
//	ALTER TABLE t ENABLE ROW LEVEL SECURITY;
//	ALTER TABLE t FORCE ROW LEVEL SECURITY;
//	CREATE POLICY tenant_isolation ON t
//	    USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
