/**
 * The PostgreSQL migration of webhooks (see `WebhookStore`): the SQLite
 * tables with PostgreSQL types (a webhook's `events` a `text[]`, empty for
 * all), and the trigger that writes a workspace's deliveries in the
 * transaction that stores a session event. The trigger's function keeps the
 * search_path of the migration, so it finds its tables in `?schema=`
 * whatever a later connection's path. Never edit it once released: append a
 * migration.
 */
export const postgresWebhookSchema = `
CREATE TABLE webhooks (
  webhook_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
  url TEXT NOT NULL,
  events TEXT[] NOT NULL DEFAULT '{}',
  secret TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id, created_at, webhook_id);

CREATE TABLE webhook_deliveries (
  delivery_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  webhook_id TEXT COLLATE "C" NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
  session_id TEXT COLLATE "C" NOT NULL,
  sequence BIGINT NOT NULL,
  event TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status_code INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  last_attempt_at BIGINT NULL,
  next_attempt_at BIGINT NOT NULL,
  claim_token TEXT NOT NULL DEFAULT '',
  claimed_until BIGINT NOT NULL DEFAULT 0,
  FOREIGN KEY (session_id, sequence) REFERENCES session_events (session_id, sequence),
  UNIQUE (webhook_id, session_id, sequence)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (webhook_id, session_id, sequence) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, created_at DESC, sequence DESC, delivery_id DESC);

CREATE FUNCTION webhook_deliveries_for_event() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
  mapped TEXT := CASE NEW.type WHEN 'accepted' THEN 'launched' ELSE NEW.type END;
BEGIN
  INSERT INTO webhook_deliveries (delivery_id, webhook_id, session_id, sequence, event, created_at, next_attempt_at)
  SELECT 'whd_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 24), w.webhook_id, NEW.session_id, NEW.sequence,
         mapped, NEW.created_at, NEW.created_at
  FROM sessions s JOIN webhooks w ON w.workspace_id = s.workspace_id
  WHERE s.session_id = NEW.session_id AND (cardinality(w.events) = 0 OR mapped = ANY (w.events));
  RETURN NULL;
END
$$;

CREATE TRIGGER session_events_webhook_deliveries AFTER INSERT ON session_events
FOR EACH ROW WHEN (NEW.type IN ('accepted', 'running', 'awaiting_approval', 'exited', 'failed', 'stopped'))
EXECUTE FUNCTION webhook_deliveries_for_event();
`;
