-- Postgres checks the signed tenant through a view from here on. SQLite has
-- no row-level security (gorm's tenant scope isolates tenants): nothing to do.
SELECT 1;
