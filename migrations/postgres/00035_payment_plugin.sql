-- Plugin payments (issue 11, Host.CreatePayment): an online order that pays
-- an amount belonging to no room, such as a visitor's parking fee. It names
-- the plugin that opened it and the plugin's own reference (a parking
-- session); its confirmation credits no bill and tells the plugin instead
-- ("payment.received"). The plugin's idempotency key returns the same order.
-- payment_orders keeps its row-level security (00023).
ALTER TABLE payment_orders ADD COLUMN plugin    text NOT NULL DEFAULT '';
ALTER TABLE payment_orders ADD COLUMN reference text NOT NULL DEFAULT '';
ALTER TABLE payment_orders ADD COLUMN idem_key  text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX payment_orders_plugin_key_idx ON payment_orders (tenant_id, plugin, idem_key) WHERE plugin <> '';
