-- Wake the relays when tasks are written: a NOTIFY per inserting statement,
-- delivered when the transaction commits (and dropped if it rolls back), so
-- an idle node's relay sleeps on LISTEN instead of polling the outbox.
CREATE FUNCTION wuye_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wuye_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION wuye_outbox_notify();
