import type Database from "better-sqlite3";
import type { PermissionDecisionWrite, PermissionRequestRecord, PermissionStoreMethod, Store, WorkspacePermissions } from "../store.js";
import { permissionRequestFromRow, type PermissionRequestRow, type PermissionRuleRow, permissionRuleFromRow } from "./sqlite-permission-rows.js";
import type { WorkspaceRow } from "./sqlite-rows.js";
import { workspaceFromRow } from "./sqlite-rows.js";
import type { SqliteStatements } from "./sqlite-statements.js";

/** Runs a store call with the engine's error mapping (the store's own `run`). */
type Run = <T>(noun: string, signal: AbortSignal | undefined, fn: (s: SqliteStatements) => T) => T;

const requestColumns =
  "session_id, request_id, workspace_id, machine_id, tool_name, input_json, reason, tool_use_id, created_at, expire_at, " +
  "decision, decided_by, decided_at, message, updated_input_json, remember, delivered";

function prepare(db: Database.Database) {
  return {
    updateWorkspace: db.prepare<[string | null, string | null, number | null, string | null, string], WorkspaceRow>(
      "UPDATE workspaces SET default_permission_mode = COALESCE(?, default_permission_mode), " +
        "permission_ceiling = COALESCE(?, permission_ceiling), approval_timeout_ms = COALESCE(?, approval_timeout_ms), " +
        "approval_default_decision = COALESCE(?, approval_default_decision) WHERE workspace_id = ? RETURNING *",
    ),
    insertRequest: db.prepare<[string, string, string, string, string, string, string, string, number, number]>(
      "INSERT INTO permission_requests (session_id, request_id, workspace_id, machine_id, tool_name, input_json, reason, " +
        "tool_use_id, created_at, expire_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, request_id) DO NOTHING",
    ),
    getRequest: db.prepare<[string, string], PermissionRequestRow>(
      `SELECT ${requestColumns} FROM permission_requests WHERE session_id = ? AND request_id = ?`,
    ),
    pendingInWorkspace: db.prepare<[string], PermissionRequestRow>(
      `SELECT ${requestColumns} FROM permission_requests WHERE workspace_id = ? AND decision = '' ORDER BY created_at, request_id`,
    ),
    pendingInSession: db.prepare<[string, string], PermissionRequestRow>(
      `SELECT ${requestColumns} FROM permission_requests WHERE workspace_id = ? AND session_id = ? AND decision = '' ` +
        "ORDER BY created_at, request_id",
    ),
    decide: db.prepare<[string, string, number, string, string, number, number, string, string]>(
      "UPDATE permission_requests SET decision = ?, decided_by = ?, decided_at = ?, message = ?, updated_input_json = ?, " +
        "remember = ?, delivered = ? WHERE session_id = ? AND request_id = ? AND decision = ''",
    ),
    insertRule: db.prepare<[string, string, string, number]>(
      "INSERT INTO permission_rules (session_id, tool_name, prefix, created_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (session_id, tool_name, prefix) DO NOTHING",
    ),
    markDelivered: db.prepare<[string, string]>(
      "UPDATE permission_requests SET delivered = 1 WHERE session_id = ? AND request_id = ? AND decision <> ''",
    ),
    undelivered: db.prepare<[string, string], PermissionRequestRow>(
      `SELECT ${requestColumns.replace(/(^|, )/g, "$1r.")} FROM permission_requests r JOIN sessions s ON s.session_id = r.session_id ` +
        "WHERE r.machine_id = ? AND r.decision <> '' AND r.delivered = 0 AND s.state IN (SELECT value FROM json_each(?)) " +
        "ORDER BY r.decided_at, r.request_id",
    ),
    expired: db.prepare<[number, number], PermissionRequestRow>(
      `SELECT ${requestColumns} FROM permission_requests WHERE decision = '' AND expire_at <= ? ORDER BY expire_at, request_id LIMIT ?`,
    ),
    rules: db.prepare<[string], PermissionRuleRow>(
      "SELECT session_id, tool_name, prefix, created_at FROM permission_rules WHERE session_id = ? ORDER BY created_at, tool_name, prefix",
    ),
  };
}

/**
 * The SQLite store's permission methods: workspace settings, permission
 * requests and remembered rules. A decision is one guarded UPDATE (`decision
 * = ''`) in an immediate transaction with its rule, so the first decision
 * wins and a second reads the winner's.
 */
export function sqlitePermissionMethods(db: Database.Database, run: Run): Pick<Store, PermissionStoreMethod> {
  let prepared: ReturnType<typeof prepare> | undefined;
  const st = () => {
    prepared ??= prepare(db);
    return prepared;
  };

  const decide = db.transaction((w: PermissionDecisionWrite) => {
    const s = st();
    const changes = s.decide.run(
      w.decision,
      w.decidedBy,
      w.now,
      w.message,
      w.updatedInput ? JSON.stringify(w.updatedInput) : "",
      w.remember ? 1 : 0,
      w.delivered ? 1 : 0,
      w.sessionId,
      w.requestId,
    ).changes;
    if (changes > 0 && w.rule) s.insertRule.run(w.sessionId, w.rule.toolName, w.rule.prefix, w.now);
    const row = s.getRequest.get(w.sessionId, w.requestId);
    return row === undefined ? undefined : { request: permissionRequestFromRow(row), decided: changes > 0 };
  });

  const create = db.transaction((r: Parameters<Store["createPermissionRequest"]>[0]) => {
    const s = st();
    const { changes } = s.insertRequest.run(
      r.sessionId,
      r.requestId,
      r.workspaceId,
      r.machineId,
      r.toolName,
      JSON.stringify(r.input),
      r.reason,
      r.toolUseId,
      r.createdAt,
      r.expireAt,
    );
    return { request: permissionRequestFromRow(s.getRequest.get(r.sessionId, r.requestId)!), created: changes > 0 };
  });

  const list = (rows: PermissionRequestRow[]): PermissionRequestRecord[] => rows.map(permissionRequestFromRow);

  return {
    async updateWorkspacePermissions(workspaceId, p: Partial<WorkspacePermissions>) {
      return run("workspace", undefined, () => {
        const row = st().updateWorkspace.get(
          p.defaultMode ?? null,
          p.ceiling ?? null,
          p.approvalTimeoutMs ?? null,
          p.defaultDecision ?? null,
          workspaceId,
        );
        return row === undefined ? undefined : workspaceFromRow(row);
      });
    },
    async createPermissionRequest(request, signal) {
      return run("permission request", signal, () => create.immediate(request));
    },
    async getPermissionRequest(sessionId, requestId, signal) {
      return run("permission request", signal, () => {
        const row = st().getRequest.get(sessionId, requestId);
        return row === undefined ? undefined : permissionRequestFromRow(row);
      });
    },
    async listPendingPermissionRequests(query, signal) {
      return run("permission request", signal, () =>
        list(
          query.sessionId === undefined
            ? st().pendingInWorkspace.all(query.workspaceId)
            : st().pendingInSession.all(query.workspaceId, query.sessionId),
        ),
      );
    },
    async decidePermissionRequest(write, signal) {
      return run("permission request", signal, () => decide.immediate(write));
    },
    async markPermissionDelivered(sessionId, requestId) {
      return run("permission request", undefined, () => st().markDelivered.run(sessionId, requestId).changes > 0);
    },
    async listUndeliveredPermissionDecisions(machineId, states, signal) {
      return run("permission request", signal, () => list(st().undelivered.all(machineId, JSON.stringify(states))));
    },
    async listExpiredPermissionRequests(now, limit) {
      return run("permission request", undefined, () => list(st().expired.all(now, Math.max(0, Math.floor(limit)))));
    },
    async listPermissionRules(sessionId, signal) {
      return run("permission rule", signal, () => st().rules.all(sessionId).map(permissionRuleFromRow));
    },
  };
}
