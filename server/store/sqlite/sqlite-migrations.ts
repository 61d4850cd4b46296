import type Database from "better-sqlite3";
import { sqliteWebhookSchema } from "./sqlite-webhook-schema.js";

/** One schema step: applied once, in order, inside a transaction. */
export interface Migration {
  version: number;
  sql: string;
}

/**
 * The SQLite schema, oldest first. Kept to portable SQL (TEXT, INTEGER, BIGINT,
 * plain keys and indexes) so the PostgreSQL store can carry the same schema.
 * Times are Unix milliseconds; JSON columns hold JSON text. Never edit a
 * released migration: append a new one.
 */
export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE workspaces (
  workspace_id TEXT NOT NULL PRIMARY KEY,
  default_machine_id TEXT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE machines (
  machine_id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
  daemon_version TEXT NOT NULL DEFAULT '',
  hostname TEXT NOT NULL DEFAULT '',
  last_seen_at BIGINT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX machines_workspace ON machines (workspace_id, machine_id);

CREATE TABLE tokens (
  token_id TEXT NOT NULL PRIMARY KEY,
  kind TEXT NOT NULL,
  hash_hex TEXT NOT NULL UNIQUE,
  machine_id TEXT NULL REFERENCES machines (machine_id),
  created_at BIGINT NOT NULL,
  revoked_at BIGINT NULL
);

CREATE TABLE token_workspaces (
  token_id TEXT NOT NULL REFERENCES tokens (token_id),
  workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
  PRIMARY KEY (token_id, workspace_id)
);

CREATE TABLE sessions (
  session_id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
  machine_id TEXT NOT NULL REFERENCES machines (machine_id),
  state TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  agent_session_id TEXT NOT NULL DEFAULT '',
  work_dir TEXT NOT NULL DEFAULT '',
  branch TEXT NOT NULL DEFAULT '',
  pid INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER NULL,
  error_message TEXT NOT NULL DEFAULT '',
  metadata_json TEXT NOT NULL DEFAULT '{}',
  request_json TEXT NOT NULL DEFAULT '',
  ack_json TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX sessions_workspace_created ON sessions (workspace_id, created_at DESC, session_id DESC);
CREATE INDEX sessions_machine_state ON sessions (machine_id, state);

CREATE TABLE session_events (
  session_id TEXT NOT NULL REFERENCES sessions (session_id),
  sequence BIGINT NOT NULL,
  type TEXT NOT NULL,
  state TEXT NOT NULL,
  machine_id TEXT NOT NULL DEFAULT '',
  ack_json TEXT NOT NULL DEFAULT '',
  exit_code INTEGER NULL,
  message TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, sequence)
);

CREATE TABLE commands (
  command_id TEXT NOT NULL PRIMARY KEY,
  machine_id TEXT NOT NULL REFERENCES machines (machine_id),
  session_id TEXT NOT NULL REFERENCES sessions (session_id),
  kind TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  ack_status TEXT NOT NULL DEFAULT '',
  ack_payload_json TEXT NOT NULL DEFAULT '',
  acked_at BIGINT NULL
);
CREATE INDEX commands_session ON commands (session_id);

CREATE TABLE idempotency_keys (
  token_id TEXT NOT NULL,
  key TEXT NOT NULL,
  session_id TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  response_json TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  PRIMARY KEY (token_id, key)
);
`,
  },
  {
    // The launch request was written on every launch and never read: a reuse
    // resumes from the stored agent session id.
    version: 2,
    sql: "ALTER TABLE sessions DROP COLUMN request_json;",
  },
  {
    // A command keeps what was pushed and its deadline: a reconnecting daemon
    // gets its unacknowledged commands again, and an expired one is never run.
    version: 3,
    sql: `
ALTER TABLE commands ADD COLUMN command BLOB NULL;
ALTER TABLE commands ADD COLUMN deadline_at BIGINT NULL;
CREATE INDEX commands_pending ON commands (machine_id, created_at) WHERE ack_status = '';
`,
  },
  {
    // Remote control: the session keeps its prompt and settings, and its
    // transcript entries are events sharing the session's sequence.
    version: 4,
    sql: `
ALTER TABLE sessions ADD COLUMN initial_prompt TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN settings_json TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN transcript_length BIGINT NOT NULL DEFAULT 0;
ALTER TABLE session_events ADD COLUMN entry_json TEXT NOT NULL DEFAULT '';
CREATE INDEX session_events_transcript ON session_events (session_id, sequence) WHERE type = 'transcript';
`,
  },
  {
    // Token scopes (space-separated names) and labels. Existing API tokens
    // keep what they could do: the sessions scope; machine tokens have none.
    // The index finds a machine's live tokens when it is re-registered.
    version: 5,
    sql: `
ALTER TABLE tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'sessions';
ALTER TABLE tokens ADD COLUMN label TEXT NOT NULL DEFAULT '';
UPDATE tokens SET scopes = '' WHERE kind <> 'api';
CREATE INDEX tokens_live_machine ON tokens (machine_id, token_id) WHERE revoked_at IS NULL AND machine_id IS NOT NULL;
CREATE INDEX token_workspaces_workspace ON token_workspaces (workspace_id, token_id);
`,
  },
  {
    // A stop request is kept on the session (who asked, when): an end reported
    // while it is pending makes the session `stopped` rather than `exited`.
    version: 6,
    sql: `
ALTER TABLE sessions ADD COLUMN stopped_by TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN stop_time BIGINT NOT NULL DEFAULT 0;
`,
  },
  {
    // Webhooks: endpoints, their delivery log, and the trigger that writes a
    // session event's deliveries in the event's own transaction.
    version: 7,
    sql: sqliteWebhookSchema,
  },
  {
    // Approvals: a workspace's permission settings, its agents' permission
    // requests (each decided once, with who and when; `delivered` once the
    // daemon acknowledged the decision) and the rules a session remembers.
    version: 8,
    sql: `
ALTER TABLE workspaces ADD COLUMN default_permission_mode TEXT NOT NULL DEFAULT 'default';
ALTER TABLE workspaces ADD COLUMN permission_ceiling TEXT NOT NULL DEFAULT 'bypass_permissions';
ALTER TABLE workspaces ADD COLUMN approval_timeout_ms BIGINT NOT NULL DEFAULT 600000;
ALTER TABLE workspaces ADD COLUMN approval_default_decision TEXT NOT NULL DEFAULT 'deny';

CREATE TABLE permission_requests (
  session_id TEXT NOT NULL REFERENCES sessions (session_id),
  request_id TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  machine_id TEXT NOT NULL,
  tool_name TEXT NOT NULL DEFAULT '',
  input_json TEXT NOT NULL DEFAULT '{}',
  reason TEXT NOT NULL DEFAULT '',
  tool_use_id TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  expire_at BIGINT NOT NULL,
  decision TEXT NOT NULL DEFAULT '',
  decided_by TEXT NOT NULL DEFAULT '',
  decided_at BIGINT NULL,
  message TEXT NOT NULL DEFAULT '',
  updated_input_json TEXT NOT NULL DEFAULT '',
  remember INTEGER NOT NULL DEFAULT 0,
  delivered INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (session_id, request_id)
);
CREATE INDEX permission_requests_pending ON permission_requests (workspace_id, created_at, request_id) WHERE decision = '';
CREATE INDEX permission_requests_expiry ON permission_requests (expire_at) WHERE decision = '';
CREATE INDEX permission_requests_undelivered ON permission_requests (machine_id, decided_at) WHERE decision <> '' AND delivered = 0;

CREATE TABLE permission_rules (
  session_id TEXT NOT NULL REFERENCES sessions (session_id),
  tool_name TEXT NOT NULL,
  prefix TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, tool_name, prefix)
);
`,
  },
];

/**
 * Applies every migration of `migrations` not yet recorded in
 * `schema_migrations`, each in its own immediate transaction that re-checks
 * the version, so two processes migrating one file at once apply each step
 * once. Idempotent.
 */
export function applySqliteMigrations(
  db: Database.Database,
  migrations: readonly Migration[] = sqliteMigrations,
  now: () => number = Date.now,
): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)",
  );
  const isApplied = db.prepare<[number], { version: number }>("SELECT version FROM schema_migrations WHERE version = ?");
  const record = db.prepare<[number, number]>("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  for (const migration of ordered) {
    if (isApplied.get(migration.version) !== undefined) continue;
    db.transaction(() => {
      if (isApplied.get(migration.version) !== undefined) return;
      db.exec(migration.sql);
      record.run(migration.version, now());
    }).immediate();
  }
}
