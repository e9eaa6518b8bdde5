-- Plugin payments: an order of an amount that belongs to no room, named by
-- the plugin and its reference. The twin of postgres/00035_payment_plugin.sql.
ALTER TABLE payment_orders ADD COLUMN plugin    TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_orders ADD COLUMN reference TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_orders ADD COLUMN idem_key  TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX payment_orders_plugin_key_idx ON payment_orders (tenant_id, plugin, idem_key) WHERE plugin <> '';
