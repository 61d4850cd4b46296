import pg from "pg";
import { postgresTokenChangeSchema } from "./postgres-token-change-schema.js";
import { postgresWebhookSchema } from "./postgres-webhook-schema.js";

/** One schema step: applied once, in order. */
export interface PostgresMigration {
  version: number;
  sql: string;
}

/**
 * The PostgreSQL schema, oldest first: the SQLite store's tables with
 * PostgreSQL types. Objects are `jsonb` (NULL for none, where SQLite keeps ""),
 * times BIGINT Unix milliseconds, ids `COLLATE "C"` so they sort byte by byte
 * as in SQLite whatever the database's collation. Event sequences come from a
 * per-session counter row (`session_event_counters`), bumped in the statement
 * that inserts the event, so appends from any number of connections get 1, 2,
 * 3, … and commit in that order. Never edit a released migration: append one.
 */
export const postgresMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE workspaces (
  workspace_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  default_machine_id TEXT COLLATE "C" NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE machines (
  machine_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
  daemon_version TEXT NOT NULL DEFAULT '',
  hostname TEXT NOT NULL DEFAULT '',
  last_seen_at BIGINT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX machines_workspace ON machines (workspace_id, machine_id);

CREATE TABLE tokens (
  token_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  kind TEXT NOT NULL,
  hash_hex TEXT COLLATE "C" NOT NULL UNIQUE,
  machine_id TEXT COLLATE "C" NULL REFERENCES machines (machine_id),
  created_at BIGINT NOT NULL,
  revoked_at BIGINT NULL
);

CREATE TABLE token_workspaces (
  token_id TEXT COLLATE "C" NOT NULL REFERENCES tokens (token_id),
  workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
  PRIMARY KEY (token_id, workspace_id)
);

CREATE TABLE sessions (
  session_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
  machine_id TEXT COLLATE "C" NOT NULL REFERENCES machines (machine_id),
  state TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  agent_session_id TEXT NOT NULL DEFAULT '',
  work_dir TEXT NOT NULL DEFAULT '',
  branch TEXT NOT NULL DEFAULT '',
  pid INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER NULL,
  error_message TEXT NOT NULL DEFAULT '',
  metadata JSONB NOT NULL DEFAULT '{}',
  acknowledgement JSONB NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX sessions_workspace_created ON sessions (workspace_id, created_at DESC, session_id DESC);
CREATE INDEX sessions_machine_state ON sessions (machine_id, state);

CREATE TABLE session_event_counters (
  session_id TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES sessions (session_id),
  last_sequence BIGINT NOT NULL
);

CREATE TABLE session_events (
  session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions (session_id),
  sequence BIGINT NOT NULL,
  type TEXT NOT NULL,
  state TEXT NOT NULL,
  machine_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  acknowledgement JSONB NULL,
  exit_code INTEGER NULL,
  message TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, sequence)
);

CREATE TABLE commands (
  command_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  machine_id TEXT COLLATE "C" NOT NULL REFERENCES machines (machine_id),
  session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions (session_id),
  kind TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  ack_status TEXT NOT NULL DEFAULT '',
  ack_payload JSONB NULL,
  acked_at BIGINT NULL
);
CREATE INDEX commands_session ON commands (session_id);

CREATE TABLE idempotency_keys (
  token_id TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  session_id TEXT COLLATE "C" NOT NULL,
  request_hash TEXT NOT NULL,
  outcome JSONB NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (token_id, key)
);
`,
  },
  {
    // A command keeps what was pushed and its deadline: a reconnecting daemon
    // gets its unacknowledged commands again, and an expired one is never run.
    version: 2,
    sql: `
ALTER TABLE commands ADD COLUMN command BYTEA NULL;
ALTER TABLE commands ADD COLUMN deadline_at BIGINT NULL;
CREATE INDEX commands_pending ON commands (machine_id, created_at) WHERE ack_status = '';
`,
  },
  {
    // Remote control: the session keeps its prompt and settings, and its
    // transcript entries are events sharing the session's sequence.
    version: 3,
    sql: `
ALTER TABLE sessions ADD COLUMN initial_prompt TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN settings JSONB NULL;
ALTER TABLE sessions ADD COLUMN transcript_length BIGINT NOT NULL DEFAULT 0;
ALTER TABLE session_events ADD COLUMN entry JSONB NULL;
CREATE INDEX session_events_transcript ON session_events (session_id, sequence) WHERE type = 'transcript';
`,
  },
  {
    // Token scopes and labels. Existing API tokens keep what they could do:
    // the sessions scope; machine tokens have none. The indexes find a
    // machine's live tokens (re-registration) and a workspace's tokens.
    version: 4,
    sql: `
ALTER TABLE tokens ADD COLUMN scopes TEXT[] NOT NULL DEFAULT '{sessions}';
ALTER TABLE tokens ADD COLUMN label TEXT NOT NULL DEFAULT '';
UPDATE tokens SET scopes = '{}' WHERE kind <> 'api';
CREATE INDEX tokens_live_machine ON tokens (machine_id, token_id) WHERE revoked_at IS NULL AND machine_id IS NOT NULL;
CREATE INDEX token_workspaces_workspace ON token_workspaces (workspace_id, token_id);
`,
  },
  {
    // A stop request is kept on the session (who asked, when): an end reported
    // while it is pending makes the session `stopped` rather than `exited`.
    version: 5,
    sql: `
ALTER TABLE sessions ADD COLUMN stopped_by TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN stop_time BIGINT NOT NULL DEFAULT 0;
`,
  },
  {
    // Webhooks: endpoints, their delivery log, and the trigger that writes a
    // session event's deliveries in the event's own transaction.
    version: 6,
    sql: postgresWebhookSchema,
  },
  {
    // Approvals: a workspace's permission settings, its agents' permission
    // requests (each decided once, with who and when; `delivered` once the
    // daemon acknowledged the decision) and the rules a session remembers.
    version: 7,
    sql: `
ALTER TABLE workspaces ADD COLUMN default_permission_mode TEXT NOT NULL DEFAULT 'default';
ALTER TABLE workspaces ADD COLUMN permission_ceiling TEXT NOT NULL DEFAULT 'bypass_permissions';
ALTER TABLE workspaces ADD COLUMN approval_timeout_ms BIGINT NOT NULL DEFAULT 600000;
ALTER TABLE workspaces ADD COLUMN approval_default_decision TEXT NOT NULL DEFAULT 'deny';

CREATE TABLE permission_requests (
  session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions (session_id),
  request_id TEXT COLLATE "C" NOT NULL,
  workspace_id TEXT COLLATE "C" NOT NULL,
  machine_id TEXT COLLATE "C" NOT NULL,
  tool_name TEXT NOT NULL DEFAULT '',
  input JSONB NOT NULL DEFAULT '{}',
  reason TEXT NOT NULL DEFAULT '',
  tool_use_id TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  expire_at BIGINT NOT NULL,
  decision TEXT NOT NULL DEFAULT '',
  decided_by TEXT NOT NULL DEFAULT '',
  decided_at BIGINT NULL,
  message TEXT NOT NULL DEFAULT '',
  updated_input JSONB NULL,
  remember BOOLEAN NOT NULL DEFAULT FALSE,
  delivered BOOLEAN NOT NULL DEFAULT FALSE,
  PRIMARY KEY (session_id, request_id)
);
CREATE INDEX permission_requests_pending ON permission_requests (workspace_id, created_at, request_id) WHERE decision = '';
CREATE INDEX permission_requests_expiry ON permission_requests (expire_at) WHERE decision = '';
CREATE INDEX permission_requests_undelivered ON permission_requests (machine_id, decided_at) WHERE decision <> '' AND NOT delivered;

CREATE TABLE permission_rules (
  session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions (session_id),
  tool_name TEXT COLLATE "C" NOT NULL,
  prefix TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, tool_name, prefix)
);
`,
  },
  {
    // Token changes told to every process that caches token lookups, and
    // those processes' confirmations (see postgres-token-change-schema.ts).
    version: 8,
    sql: postgresTokenChangeSchema,
  },
];

/** First key of the two-key advisory lock `migrate()` holds: "wsct" in ASCII. */
export const migrationLockKey = 0x77736374;

/**
 * Applies every migration not yet recorded in `schema_migrations`, all in one
 * transaction that first takes `pg_advisory_xact_lock(migrationLockKey,
 * hashtext(schema))`: replicas starting at once queue on the lock, and each
 * finds the steps the first one applied. The schema (`?schema=`) is created
 * when missing, under the same lock. A failing step rolls the whole run back.
 * Idempotent.
 */
export async function applyPostgresMigrations(
  pool: pg.Pool,
  schema: string | undefined,
  migrations: readonly PostgresMigration[] = postgresMigrations,
  now: () => number = Date.now,
): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1::int, hashtext(COALESCE($2::text, current_schema(), '')))", [
        migrationLockKey,
        schema ?? null,
      ]);
      if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)",
      );
      const applied = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
      const done = new Set(applied.rows.map((row) => row.version));
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [migration.version, now()]);
      }
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw err;
    }
  } finally {
    client.release(broken ?? false);
  }
}
