-- Postgres only: the platform database role and its policies. SQLite has no
-- roles; the embedded default keeps one process and one file.
SELECT 1;
