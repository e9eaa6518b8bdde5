-- Postgres wakes relays with NOTIFY on outbox inserts. SQLite has one
-- process, whose writers wake its relay in memory (queue.Enqueue): nothing to do.
SELECT 1;
