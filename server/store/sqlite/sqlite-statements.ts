import type Database from "better-sqlite3";
import type {
  CommandRow,
  IdempotencyRow,
  MachineRow,
  SessionEventRow,
  TokenRow,
  WorkspaceRow,
} from "./sqlite-rows.js";
import type { SessionPatchParams, SessionRow } from "./sqlite-session-rows.js";

/** Bind values for `listSessions`; unused filters are simply not referenced by the chosen statement. */
export interface SessionListParams {
  workspace_id: string;
  state?: string;
  machine_id?: string;
  after_created_at?: number;
  after_session_id?: string;
  limit: number;
}

const sessionColumns =
  "session_id, workspace_id, machine_id, state, provider, model, agent_session_id, work_dir, branch, pid, " +
  "exit_code, error_message, metadata_json, ack_json, initial_prompt, settings_json, transcript_length, stopped_by, stop_time, " +
  "created_at, updated_at";

/** A session patch (`patchToParams`): a NULL value keeps its column. */
const setSession = `UPDATE sessions SET ${sessionColumns
  .split(", ")
  .filter((c) => !["session_id", "workspace_id", "created_at", "updated_at"].includes(c))
  .map((c) => `${c} = COALESCE(@${c}, ${c})`)
  .join(", ")}, updated_at = @updated_at WHERE session_id = @session_id`;

/**
 * Every statement the SQLite store runs, prepared once per connection (after
 * migrations, since preparing needs the tables). The `listSessions` variants
 * are prepared on first use and kept, one per filter combination, so each
 * gets a plan that walks the index instead of testing optional parameters.
 */
export function prepareSqliteStatements(db: Database.Database) {
  const sessionLists = new Map<number, Database.Statement<SessionListParams, SessionRow>>();
  return {
    insertWorkspace: db.prepare<[string, number, string, string, number, string], WorkspaceRow>(
      "INSERT INTO workspaces (workspace_id, default_machine_id, created_at, default_permission_mode, permission_ceiling, " +
        "approval_timeout_ms, approval_default_decision) VALUES (?, NULL, ?, ?, ?, ?, ?) RETURNING *",
    ),
    getWorkspace: db.prepare<[string], WorkspaceRow>("SELECT * FROM workspaces WHERE workspace_id = ?"),
    listWorkspaces: db.prepare<[], WorkspaceRow>("SELECT * FROM workspaces ORDER BY workspace_id"),
    setDefaultMachine: db.prepare<[string, string]>(
      "UPDATE workspaces SET default_machine_id = ? WHERE workspace_id = ?",
    ),
    setDefaultMachineIfNone: db.prepare<[string, string]>(
      "UPDATE workspaces SET default_machine_id = ? WHERE workspace_id = ? AND default_machine_id IS NULL",
    ),

    insertMachine: db.prepare<[string, string, number], MachineRow>(
      "INSERT INTO machines (machine_id, workspace_id, created_at) VALUES (?, ?, ?) RETURNING *",
    ),
    getMachine: db.prepare<[string], MachineRow>("SELECT * FROM machines WHERE machine_id = ?"),
    listAllMachines: db.prepare<[], MachineRow>("SELECT * FROM machines ORDER BY workspace_id, machine_id"),
    listMachinesIn: db.prepare<[string], MachineRow>(
      "SELECT * FROM machines WHERE workspace_id IN (SELECT value FROM json_each(?)) ORDER BY workspace_id, machine_id",
    ),
    machineSeen: db.prepare<[string | null, string | null, number, string]>(
      "UPDATE machines SET daemon_version = COALESCE(?, daemon_version), hostname = COALESCE(?, hostname), " +
        "last_seen_at = ? WHERE machine_id = ?",
    ),

    insertToken: db.prepare<[string, string, string, string | null, string, string, number]>(
      "INSERT INTO tokens (token_id, kind, hash_hex, machine_id, scopes, label, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
    ),
    insertTokenWorkspace: db.prepare<[string, string]>(
      "INSERT INTO token_workspaces (token_id, workspace_id) VALUES (?, ?)",
    ),
    getTokenById: db.prepare<[string], TokenRow>("SELECT * FROM tokens WHERE token_id = ?"),
    findLiveToken: db.prepare<[string], TokenRow>("SELECT * FROM tokens WHERE hash_hex = ? AND revoked_at IS NULL"),
    tokenWorkspaces: db
      .prepare<[string], string>("SELECT workspace_id FROM token_workspaces WHERE token_id = ? ORDER BY workspace_id")
      .pluck(),
    allTokenWorkspaces: db.prepare<[], { token_id: string; workspace_id: string }>(
      "SELECT token_id, workspace_id FROM token_workspaces ORDER BY token_id, workspace_id",
    ),
    revokeToken: db.prepare<[number, string]>(
      "UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
    ),
    listRevokedTokens: db
      .prepare<[string], string>(
        "SELECT token_id FROM tokens WHERE token_id IN (SELECT value FROM json_each(?)) AND revoked_at IS NOT NULL ORDER BY token_id",
      )
      .pluck(),
    listTokens: db.prepare<[], TokenRow>("SELECT * FROM tokens ORDER BY created_at, token_id"),
    listWorkspaceTokens: db.prepare<[string], TokenRow>(
      "SELECT t.* FROM tokens t JOIN token_workspaces w ON w.token_id = t.token_id WHERE w.workspace_id = ? AND t.kind = 'api' " +
        "ORDER BY t.created_at, t.token_id",
    ),
    revokeMachineTokens: db
      .prepare<[number, string, string], string>(
        "UPDATE tokens SET revoked_at = ? WHERE machine_id = ? AND token_id <> ? AND revoked_at IS NULL RETURNING token_id",
      )
      .pluck(),

    insertSession: db.prepare<SessionRow>(
      `INSERT INTO sessions (${sessionColumns}) VALUES (${sessionColumns
        .split(", ")
        .map((c) => `@${c}`)
        .join(", ")})`,
    ),
    getSession: db.prepare<[string, string], SessionRow>(
      "SELECT * FROM sessions WHERE session_id = ? AND workspace_id = ?",
    ),
    getSessionById: db.prepare<[string], SessionRow>("SELECT * FROM sessions WHERE session_id = ?"),
    updateSession: db.prepare<SessionPatchParams, SessionRow>(`${setSession} RETURNING *`),
    /** `updateSession` only while the session is in `@from_state`. */
    moveSession: db.prepare<SessionPatchParams & { from_state: string }, SessionRow>(`${setSession} AND state = @from_state RETURNING *`),
    listSessionsOnMachine: db.prepare<[string, string], SessionRow>(
      "SELECT * FROM sessions WHERE machine_id = ? AND state IN (SELECT value FROM json_each(?)) " +
        "ORDER BY created_at, session_id",
    ),
    /** The `listSessions` statement for this combination of filters. */
    listSessions(params: SessionListParams): Database.Statement<SessionListParams, SessionRow> {
      const hasState = params.state !== undefined;
      const hasMachine = params.machine_id !== undefined;
      const hasAfter = params.after_created_at !== undefined;
      const mask = (hasState ? 1 : 0) | (hasMachine ? 2 : 0) | (hasAfter ? 4 : 0);
      let statement = sessionLists.get(mask);
      if (statement === undefined) {
        const where = ["workspace_id = @workspace_id"];
        if (hasState) where.push("state = @state");
        if (hasMachine) where.push("machine_id = @machine_id");
        if (hasAfter) where.push("(created_at, session_id) < (@after_created_at, @after_session_id)");
        statement = db.prepare<SessionListParams, SessionRow>(
          `SELECT * FROM sessions WHERE ${where.join(" AND ")} ORDER BY created_at DESC, session_id DESC LIMIT @limit`,
        );
        sessionLists.set(mask, statement);
      }
      return statement;
    },

    appendSessionEvent: db.prepare<
      [string, string, string, string, string, number | null, string, number, string, string],
      { sequence: number }
    >(
      "INSERT INTO session_events (session_id, sequence, type, state, machine_id, ack_json, exit_code, message, created_at, entry_json) " +
        "SELECT ?, COALESCE(MAX(sequence), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? FROM session_events WHERE session_id = ? " +
        "RETURNING sequence",
    ),
    listSessionEvents: db.prepare<[string, number], SessionEventRow>(
      "SELECT * FROM session_events WHERE session_id = ? AND sequence > ? ORDER BY sequence",
    ),
    appendTranscriptEvent: db.prepare<
      { session_id: string; state: string; machine_id: string; now: number; entry_json: string },
      { sequence: number }
    >(
      "INSERT INTO session_events (session_id, sequence, type, state, machine_id, ack_json, exit_code, message, created_at, entry_json) " +
        "SELECT @session_id, COALESCE(MAX(sequence), 0) + 1, 'transcript', @state, @machine_id, '', NULL, '', @now, @entry_json " +
        "FROM session_events WHERE session_id = @session_id " +
        "RETURNING sequence",
    ),
    setTranscriptLength: db.prepare<[number, string]>("UPDATE sessions SET transcript_length = ? WHERE session_id = ?"),
    transcriptForward: db.prepare<[string, number, number, number], SessionEventRow>(
      "SELECT * FROM session_events WHERE session_id = ? AND type = 'transcript' AND sequence > ? AND sequence < ? " +
        "ORDER BY sequence LIMIT ?",
    ),
    transcriptBackward: db.prepare<[string, number, number, number], SessionEventRow>(
      "SELECT * FROM session_events WHERE session_id = ? AND type = 'transcript' AND sequence > ? AND sequence < ? " +
        "ORDER BY sequence DESC LIMIT ?",
    ),
    lastSequence: db
      .prepare<[string], number>("SELECT COALESCE(MAX(sequence), 0) FROM session_events WHERE session_id = ?")
      .pluck(),

    insertCommand: db.prepare<[string, string, string, string, Uint8Array, number | null, number]>(
      "INSERT INTO commands (command_id, machine_id, session_id, kind, command, deadline_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    expireCommand: db.prepare<[number, string]>(
      "UPDATE commands SET ack_status = 'expired', acked_at = ? WHERE command_id = ? AND ack_status = ''",
    ),
    listPendingCommands: db.prepare<[string, number], CommandRow>(
      "SELECT * FROM commands WHERE machine_id = ? AND ack_status = '' AND (deadline_at IS NULL OR deadline_at > ?) " +
        "ORDER BY created_at, command_id",
    ),
    getCommand: db.prepare<[string], CommandRow>("SELECT * FROM commands WHERE command_id = ?"),
    getMachineCommand: db.prepare<[string, string], CommandRow>(
      "SELECT * FROM commands WHERE command_id = ? AND machine_id = ?",
    ),
    ackCommand: db.prepare<[string, string, number, string, string]>(
      "UPDATE commands SET ack_status = ?, ack_payload_json = ?, acked_at = ? " +
        "WHERE command_id = ? AND machine_id = ? AND ack_status = ''",
    ),

    claimIdempotencyKey: db.prepare<[string, string, string, string, number]>(
      "INSERT INTO idempotency_keys (token_id, key, session_id, request_hash, response_json, created_at) " +
        "VALUES (?, ?, ?, ?, '', ?) ON CONFLICT (token_id, key) DO NOTHING",
    ),
    getIdempotencyKey: db.prepare<[string, string], IdempotencyRow>(
      "SELECT * FROM idempotency_keys WHERE token_id = ? AND key = ?",
    ),
    completeIdempotencyKey: db.prepare<[string, string, string]>(
      "UPDATE idempotency_keys SET response_json = ? WHERE token_id = ? AND key = ?",
    ),
    bindIdempotencyKey: db.prepare<[string, string, string]>(
      "UPDATE idempotency_keys SET session_id = ? WHERE token_id = ? AND key = ?",
    ),
    listUnfinishedIdempotencyKeys: db.prepare<[number, number], IdempotencyRow>(
      "SELECT * FROM idempotency_keys WHERE response_json = '' AND created_at < ? ORDER BY created_at, token_id, key LIMIT ?",
    ),
    listOverdueCommands: db.prepare<[number, number], CommandRow>(
      "SELECT * FROM commands WHERE ack_status = '' AND deadline_at IS NOT NULL AND deadline_at < ? ORDER BY created_at, command_id LIMIT ?",
    ),
    listStaleSessions: db.prepare<[string, number, number], SessionRow>(
      "SELECT * FROM sessions WHERE state IN (SELECT value FROM json_each(?)) AND updated_at < ? ORDER BY updated_at, session_id LIMIT ?",
    ),
    releaseIdempotencyKey: db.prepare<[string, string]>(
      "DELETE FROM idempotency_keys WHERE token_id = ? AND key = ? AND response_json = ''",
    ),
  };
}

export type SqliteStatements = ReturnType<typeof prepareSqliteStatements>;
