// Package migrations holds the versioned SQL schema, one folder per dialect.
// Files are named NNNNN_name.sql and applied in order, each in a transaction,
// by store.Migrate. Both folders must define the same tables and columns
// (a test in core/store checks it). Postgres files also enable row-level
// security on every tenant-owned table, with the tenant's policy and the
// platform role's (00011 and 00015 explain them):
//
//	ALTER TABLE t ENABLE ROW LEVEL SECURITY;
//	ALTER TABLE t FORCE ROW LEVEL SECURITY;
//	CREATE POLICY tenant_isolation ON t USING (tenant_id = (SELECT id FROM wuye_tenant))
//	    WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant));
//	CREATE POLICY platform_access ON t TO wuye_platform USING (true) WITH CHECK (true);
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
