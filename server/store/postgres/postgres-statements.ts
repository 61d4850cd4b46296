import type { Statement } from "./create-postgres-runner.js";

/**
 * Every statement the PostgreSQL store runs, as functions from bind values to
 * a named statement (`pg` prepares each once per connection). Columns are
 * listed, never `*`, so a later migration adding a column cannot break the
 * plans a running replica has prepared. Multi-step writes are single
 * statements with data-modifying CTEs, atomic without a transaction, but for
 * `moveSession`, whose events vary in number (one transaction).
 */

const workspaceColumns =
  "workspace_id, default_machine_id, created_at, default_permission_mode, permission_ceiling, approval_timeout_ms, approval_default_decision";
const machineColumns = "machine_id, workspace_id, daemon_version, hostname, last_seen_at, created_at";
const tokenColumns = "token_id, kind, hash_hex, machine_id, scopes, label, created_at, revoked_at";
/** A token's workspaces, in id order, beside its columns. */
const tokenWithWorkspaces = `${tokenColumns}, ARRAY(SELECT w.workspace_id FROM token_workspaces w WHERE w.token_id = tokens.token_id ORDER BY w.workspace_id) AS workspace_ids`;
/** In the order of `sessionToParams`. */
const sessionColumns =
  "session_id, workspace_id, machine_id, state, provider, model, agent_session_id, work_dir, branch, pid, " +
  "exit_code, error_message, metadata, acknowledgement, created_at, updated_at, initial_prompt, settings, transcript_length, " +
  "stopped_by, stop_time";
/** The columns an event is inserted and read with (its entry: on transcript and awaiting_approval events). */
const eventColumns = "session_id, sequence, type, state, machine_id, acknowledgement, exit_code, message, created_at, entry";
const commandColumns = "command_id, machine_id, session_id, kind, command, deadline_at, created_at, ack_status, ack_payload, acked_at";
const keyColumns = "token_id, key, session_id, request_hash, outcome, created_at";
/**
 * A session patch, in the order of `patchToParams` ($1 the session): NULL
 * keeps a column; $13 says whether to set the acknowledgement to $14, $17
 * whether to set the settings to $18.
 */
const setSession = `UPDATE sessions SET machine_id = COALESCE($2, machine_id), state = COALESCE($3, state),
       provider = COALESCE($4, provider), model = COALESCE($5, model),
       agent_session_id = COALESCE($6, agent_session_id), work_dir = COALESCE($7, work_dir),
       branch = COALESCE($8, branch), pid = COALESCE($9, pid), exit_code = COALESCE($10, exit_code),
       error_message = COALESCE($11, error_message), metadata = COALESCE($12::jsonb, metadata),
       acknowledgement = CASE WHEN $13::boolean THEN $14::jsonb ELSE acknowledgement END, updated_at = $15,
       initial_prompt = COALESCE($16, initial_prompt), settings = CASE WHEN $17::boolean THEN $18::jsonb ELSE settings END,
       transcript_length = COALESCE($19, transcript_length), stopped_by = COALESCE($20, stopped_by),
       stop_time = COALESCE($21, stop_time)
     WHERE session_id = $1`;

/** A statement named `wsctl_<name>`, bound to the values it is called with. */
export function statement(name: string, text: string): (...values: unknown[]) => Statement {
  return (...values) => ({ name: `wsctl_${name}`, text, values });
}

/** Bind values of `listSessions`: the filters present choose the statement. */
export interface SessionListFilter {
  workspaceId: string;
  state?: string;
  machineId?: string;
  after?: { createdAt: number; sessionId: string };
  limit: number;
}

export const postgresStatements = {
  insertWorkspace: statement(
    "insert_workspace",
    `INSERT INTO workspaces (${workspaceColumns}) VALUES ($1, NULL, $2, $3, $4, $5, $6) RETURNING ${workspaceColumns}`,
  ),
  getWorkspace: statement("get_workspace", `SELECT ${workspaceColumns} FROM workspaces WHERE workspace_id = $1`),
  listWorkspaces: statement("list_workspaces", `SELECT ${workspaceColumns} FROM workspaces ORDER BY workspace_id`),

  /** $1 machine, $2 workspace, $3 make it the default, $4 now. The workspace takes it as default when asked or when it has none. */
  createMachine: statement(
    "create_machine",
    `WITH machine AS (
       INSERT INTO machines (machine_id, workspace_id, created_at) VALUES ($1, $2, $4) RETURNING ${machineColumns}
     ), defaulted AS (
       UPDATE workspaces SET default_machine_id = $1
       WHERE workspace_id = $2 AND ($3::boolean OR default_machine_id IS NULL)
     )
     SELECT ${machineColumns} FROM machine`,
  ),
  getMachine: statement("get_machine", `SELECT ${machineColumns} FROM machines WHERE machine_id = $1`),
  listAllMachines: statement("list_all_machines", `SELECT ${machineColumns} FROM machines ORDER BY workspace_id, machine_id`),
  listMachinesIn: statement(
    "list_machines_in",
    `SELECT ${machineColumns} FROM machines WHERE workspace_id = ANY($1::text[]) ORDER BY workspace_id, machine_id`,
  ),
  machineSeen: statement(
    "machine_seen",
    "UPDATE machines SET daemon_version = COALESCE($1, daemon_version), hostname = COALESCE($2, hostname), " +
      "last_seen_at = $3 WHERE machine_id = $4",
  ),

  /** $1 id, $2 kind, $3 hash, $4 machine, $5 now, $6 workspace ids, $7 scopes, $8 label. */
  createToken: statement(
    "create_token",
    `WITH token AS (
       INSERT INTO tokens (token_id, kind, hash_hex, machine_id, created_at, revoked_at, scopes, label)
       VALUES ($1, $2, $3, $4, $5, NULL, $7::text[], $8) RETURNING ${tokenColumns}
     ), links AS (
       INSERT INTO token_workspaces (token_id, workspace_id)
       SELECT $1, ids.workspace_id FROM (SELECT DISTINCT unnest($6::text[]) AS workspace_id) AS ids
       RETURNING workspace_id
     )
     SELECT ${tokenColumns}, ARRAY(SELECT workspace_id FROM links ORDER BY workspace_id) AS workspace_ids FROM token`,
  ),
  findLiveToken: statement(
    "find_live_token",
    `SELECT ${tokenWithWorkspaces} FROM tokens WHERE hash_hex = $1 AND revoked_at IS NULL`,
  ),
  revokeToken: statement(
    "revoke_token",
    "UPDATE tokens SET revoked_at = $1 WHERE token_id = $2 AND revoked_at IS NULL RETURNING token_id",
  ),
  getToken: statement("get_token", `SELECT ${tokenWithWorkspaces} FROM tokens WHERE token_id = $1`),
  revokeMachineTokens: statement(
    "revoke_machine_tokens",
    "UPDATE tokens SET revoked_at = $1 WHERE machine_id = $2 AND token_id <> $3 AND revoked_at IS NULL RETURNING token_id",
  ),
  listTokens: statement("list_tokens", `SELECT ${tokenWithWorkspaces} FROM tokens ORDER BY created_at, token_id`),
  listWorkspaceTokens: statement(
    "list_workspace_tokens",
    `SELECT ${tokenWithWorkspaces} FROM tokens WHERE kind = 'api' ` +
      "AND token_id IN (SELECT token_id FROM token_workspaces WHERE workspace_id = $1) ORDER BY created_at, token_id",
  ),
  /** The token change epoch this connection's transaction drew last (its trigger's `nextval`). */
  drawnTokenChange: statement("drawn_token_change", "SELECT currval('token_change_epoch') AS epoch"),
  /** Listeners that have not confirmed `epoch` and whose lease still runs, and the longest TTL among them. */
  unconfirmedTokenListeners: statement(
    "unconfirmed_token_listeners",
    "SELECT count(*)::int AS pending, COALESCE(max(ttl_ms), 0)::int AS ttl_ms FROM token_cache_listeners " +
      "WHERE heard < $1 AND alive_until > clock_timestamp()",
  ),
  listRevokedTokens: statement(
    "list_revoked_tokens",
    "SELECT token_id FROM tokens WHERE token_id = ANY($1::text[]) AND revoked_at IS NOT NULL ORDER BY token_id",
  ),

  insertSession: statement(
    "insert_session",
    `INSERT INTO sessions (${sessionColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15, $16, $17, $18::jsonb, $19, $20, $21)`,
  ),
  getSession: statement(
    "get_session",
    `SELECT ${sessionColumns} FROM sessions WHERE session_id = $1 AND workspace_id = $2`,
  ),
  getSessionById: statement("get_session_by_id", `SELECT ${sessionColumns} FROM sessions WHERE session_id = $1`),
  /** The values of `patchToParams`. */
  updateSession: statement("update_session", `${setSession} RETURNING ${sessionColumns}`),
  /** `updateSession`'s values, then $20: only while the session is in that state. */
  moveSession: statement("move_session", `${setSession} AND state = $22 RETURNING ${sessionColumns}`),
  /** One statement per combination of filters, so each plan walks the index instead of testing optional values. */
  listSessions(filter: SessionListFilter): Statement {
    const values: unknown[] = [filter.workspaceId];
    const where = ["workspace_id = $1"];
    let name = "list_sessions";
    if (filter.state !== undefined) {
      values.push(filter.state);
      where.push(`state = $${values.length}`);
      name += "_state";
    }
    if (filter.machineId !== undefined) {
      values.push(filter.machineId);
      where.push(`machine_id = $${values.length}`);
      name += "_machine";
    }
    if (filter.after !== undefined) {
      values.push(filter.after.createdAt, filter.after.sessionId);
      where.push(`(created_at, session_id) < ($${values.length - 1}, $${values.length})`);
      name += "_after";
    }
    values.push(Math.max(0, Math.floor(filter.limit)));
    return statement(
      name,
      `SELECT ${sessionColumns} FROM sessions WHERE ${where.join(" AND ")} ` +
        `ORDER BY created_at DESC, session_id DESC LIMIT $${values.length}`,
    )(...values);
  },
  listSessionsOnMachine: statement(
    "list_sessions_on_machine",
    `SELECT ${sessionColumns} FROM sessions WHERE machine_id = $1 AND state = ANY($2::text[]) ORDER BY created_at, session_id`,
  ),

  /**
   * The values of `eventToParams`. The session's counter row is bumped (or
   * created at 1) in the same statement, so concurrent appends from any
   * connection queue on that row, get consecutive sequences and commit in
   * sequence order; a missing session fails the counter's foreign key.
   */
  appendSessionEvent: statement(
    "append_session_event",
    `WITH counter AS (
       INSERT INTO session_event_counters AS c (session_id, last_sequence) VALUES ($1, 1)
       ON CONFLICT (session_id) DO UPDATE SET last_sequence = c.last_sequence + 1
       RETURNING last_sequence
     )
     INSERT INTO session_events (${eventColumns})
     SELECT $1, last_sequence, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::jsonb FROM counter
     RETURNING sequence`,
  ),
  listSessionEvents: statement(
    "list_session_events",
    `SELECT ${eventColumns} FROM session_events WHERE session_id = $1 AND sequence > $2 ORDER BY sequence`,
  ),

  /** $1 session: its state, machine and transcript length, the row locked for the transaction. */
  lockSessionTranscript: statement(
    "lock_session_transcript",
    "SELECT state, machine_id, transcript_length FROM sessions WHERE session_id = $1 FOR UPDATE",
  ),
  /** $1 session, $2 how many sequences to take: the last one taken. */
  takeSequences: statement(
    "take_sequences",
    `INSERT INTO session_event_counters AS c (session_id, last_sequence) VALUES ($1, $2)
     ON CONFLICT (session_id) DO UPDATE SET last_sequence = c.last_sequence + $2 RETURNING last_sequence`,
  ),
  /** $1 session, $2 first sequence, $3 state, $4 machine, $5 now, $6 a JSON array of entries. */
  insertTranscriptEvents: statement(
    "insert_transcript_events",
    `INSERT INTO session_events (${eventColumns})
     SELECT $1, $2::bigint + e.ord - 1, 'transcript', $3, $4, NULL, NULL, '', $5, e.entry
     FROM jsonb_array_elements($6::jsonb) WITH ORDINALITY AS e(entry, ord)`,
  ),
  setTranscriptLength: statement("set_transcript_length", "UPDATE sessions SET transcript_length = $2 WHERE session_id = $1"),
  /** $1 session, $2 after, $3 before, $4 limit. */
  transcriptForward: statement(
    "transcript_forward",
    `SELECT ${eventColumns} FROM session_events WHERE session_id = $1 AND type = 'transcript' AND sequence > $2 AND sequence < $3
     ORDER BY sequence LIMIT $4`,
  ),
  transcriptBackward: statement(
    "transcript_backward",
    `SELECT ${eventColumns} FROM session_events WHERE session_id = $1 AND type = 'transcript' AND sequence > $2 AND sequence < $3
     ORDER BY sequence DESC LIMIT $4`,
  ),
  lastSequence: statement(
    "last_sequence",
    "SELECT COALESCE((SELECT last_sequence FROM session_event_counters WHERE session_id = $1), 0) AS last_sequence",
  ),

  insertCommand: statement(
    "insert_command",
    "INSERT INTO commands (command_id, machine_id, session_id, kind, command, deadline_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
  ),
  getCommand: statement("get_command", `SELECT ${commandColumns} FROM commands WHERE command_id = $1`),
  /** $1 now, $2 command: gives up waiting unless an acknowledgement came first. */
  expireCommand: statement(
    "expire_command",
    `UPDATE commands SET ack_status = 'expired', acked_at = $1 WHERE command_id = $2 AND ack_status = '' RETURNING ${commandColumns}`,
  ),
  /** $1 machine, $2 now: its unacknowledged commands not past their deadline, oldest first. */
  listPendingCommands: statement(
    "list_pending_commands",
    `SELECT ${commandColumns} FROM commands WHERE machine_id = $1 AND ack_status = '' AND (deadline_at IS NULL OR deadline_at > $2) ` +
      "ORDER BY created_at, command_id",
  ),
  getMachineCommand: statement(
    "get_machine_command",
    `SELECT ${commandColumns} FROM commands WHERE command_id = $1 AND machine_id = $2`,
  ),
  /** $1 status, $2 payload, $3 now, $4 command, $5 machine: only the first acknowledgement is written. */
  ackCommand: statement(
    "ack_command",
    "UPDATE commands SET ack_status = $1, ack_payload = $2::jsonb, acked_at = $3 " +
      `WHERE command_id = $4 AND machine_id = $5 AND ack_status = '' RETURNING ${commandColumns}`,
  ),

  claimIdempotencyKey: statement(
    "claim_idempotency_key",
    "INSERT INTO idempotency_keys (token_id, key, session_id, request_hash, outcome, created_at) " +
      "VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT (token_id, key) DO NOTHING RETURNING token_id",
  ),
  getIdempotencyKey: statement(
    "get_idempotency_key",
    `SELECT ${keyColumns} FROM idempotency_keys WHERE token_id = $1 AND key = $2`,
  ),
  completeIdempotencyKey: statement(
    "complete_idempotency_key",
    "UPDATE idempotency_keys SET outcome = $1::jsonb WHERE token_id = $2 AND key = $3",
  ),
  bindIdempotencyKey: statement("bind_idempotency_key", "UPDATE idempotency_keys SET session_id = $1 WHERE token_id = $2 AND key = $3"),
  listUnfinishedIdempotencyKeys: statement(
    "list_unfinished_idempotency_keys",
    `SELECT ${keyColumns} FROM idempotency_keys WHERE outcome IS NULL AND created_at < $1 ORDER BY created_at, token_id, key LIMIT $2`,
  ),
  listOverdueCommands: statement(
    "list_overdue_commands",
    `SELECT ${commandColumns} FROM commands WHERE ack_status = '' AND deadline_at IS NOT NULL AND deadline_at < $1 ORDER BY created_at, command_id LIMIT $2`,
  ),
  listStaleSessions: statement(
    "list_stale_sessions",
    `SELECT ${sessionColumns} FROM sessions WHERE state = ANY($1::text[]) AND updated_at < $2 ORDER BY updated_at, session_id LIMIT $3`,
  ),
  releaseIdempotencyKey: statement(
    "release_idempotency_key",
    "DELETE FROM idempotency_keys WHERE token_id = $1 AND key = $2 AND outcome IS NULL",
  ),
  /** Assigns a transaction id, so its commit is written: refused by a full disk or a read-only server. */
  checkWritable: statement("check_writable", "SELECT txid_current()"),
};
