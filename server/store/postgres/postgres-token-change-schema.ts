/**
 * The PostgreSQL migration of token changes (see `TokenChangeFeed`).
 *
 * Whatever changes what a token lookup answers — a token revoked, deleted or
 * given another hash, kind, machine or scopes; a token's workspace link
 * changed or removed; a machine deleted or moved — fires `token_changed()`
 * in the writing transaction, whoever writes (the server, `wsctl admin`,
 * psql): it draws the next `token_change_epoch`, records it as the last one
 * committed (`token_change_state`) and `NOTIFY`s it on
 * `token_change_channel()`, a channel named after the schema so deployments
 * in other schemas of the database do not hear it. Changes take a
 * transaction-scoped advisory lock of the schema first, so epochs commit in
 * the order they are drawn and a notification of epoch N means every change
 * up to N is committed. (Links are inserted only with their token, which no
 * lookup could have cached, so an insert fires nothing.)
 *
 * `token_cache_listeners` has a row per process whose token cache listens:
 * the last epoch it heard and acted on, the longest it keeps a lookup, and
 * the lease it renews; a revoke waits for the live rows to hear its epoch
 * (`waitForTokenListeners`). Its functions keep the migration's search_path,
 * so they find their objects in `?schema=` whatever a later connection's
 * path. Never edit it once released: append a migration.
 */
export const postgresTokenChangeSchema = `
CREATE SEQUENCE token_change_epoch;

CREATE TABLE token_change_state (
  id BOOLEAN NOT NULL PRIMARY KEY DEFAULT TRUE CHECK (id),
  epoch BIGINT NOT NULL
);

CREATE TABLE token_cache_listeners (
  listener_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  heard BIGINT NOT NULL,
  ttl_ms INTEGER NOT NULL,
  alive_until TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION token_change_channel() RETURNS TEXT LANGUAGE sql STABLE
SET search_path FROM CURRENT AS $$ SELECT 'wsctl_tokens_' || left(md5(current_schema()), 16) $$;

CREATE FUNCTION token_changed() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
  drawn BIGINT;
BEGIN
  -- "wstc": one token change at a time per schema, until commit.
  PERFORM pg_advisory_xact_lock(2004055139, hashtext(current_schema()));
  drawn := nextval('token_change_epoch');
  INSERT INTO token_change_state (id, epoch) VALUES (TRUE, drawn) ON CONFLICT (id) DO UPDATE SET epoch = EXCLUDED.epoch;
  PERFORM pg_notify(token_change_channel(), drawn::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER tokens_changed AFTER UPDATE ON tokens FOR EACH ROW
WHEN ((OLD.token_id, OLD.kind, OLD.hash_hex, OLD.machine_id, OLD.scopes, OLD.revoked_at)
  IS DISTINCT FROM (NEW.token_id, NEW.kind, NEW.hash_hex, NEW.machine_id, NEW.scopes, NEW.revoked_at))
EXECUTE FUNCTION token_changed();
CREATE TRIGGER tokens_deleted AFTER DELETE ON tokens FOR EACH ROW EXECUTE FUNCTION token_changed();
CREATE TRIGGER token_workspaces_changed AFTER UPDATE OR DELETE ON token_workspaces FOR EACH ROW EXECUTE FUNCTION token_changed();
CREATE TRIGGER machines_changed AFTER UPDATE ON machines FOR EACH ROW
WHEN ((OLD.machine_id, OLD.workspace_id) IS DISTINCT FROM (NEW.machine_id, NEW.workspace_id))
EXECUTE FUNCTION token_changed();
CREATE TRIGGER machines_deleted AFTER DELETE ON machines FOR EACH ROW EXECUTE FUNCTION token_changed();
`;
