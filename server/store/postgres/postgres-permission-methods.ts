import type { JsonObject } from "@bufbuild/protobuf";
import type { PermissionDecisionName, PermissionRequestRecord, PermissionRuleRecord, PermissionStoreMethod, Store } from "../store.js";
import type { PostgresRunner, Statement } from "./create-postgres-runner.js";
import { jsonb, text, type WorkspaceRow, workspaceFromRow } from "./postgres-rows.js";

/** A `permission_requests` row as `pg` returns it (BIGINT as text). */
interface RequestRow {
  session_id: string;
  request_id: string;
  workspace_id: string;
  machine_id: string;
  tool_name: string;
  input: JsonObject;
  reason: string;
  tool_use_id: string;
  created_at: string;
  expire_at: string;
  decision: string;
  decided_by: string;
  decided_at: string | null;
  message: string;
  updated_input: JsonObject | null;
  remember: boolean;
  delivered: boolean;
}

interface RuleRow {
  session_id: string;
  tool_name: string;
  prefix: string;
  created_at: string;
}

const workspaceColumns =
  "workspace_id, default_machine_id, created_at, default_permission_mode, permission_ceiling, approval_timeout_ms, approval_default_decision";
const columns =
  "session_id, request_id, workspace_id, machine_id, tool_name, input, reason, tool_use_id, created_at, expire_at, " +
  "decision, decided_by, decided_at, message, updated_input, remember, delivered";
const prefixed = columns.replace(/(^|, )/g, "$1r.");

function statement(name: string, sql: string): (...values: unknown[]) => Statement {
  return (...values) => ({ name: `wsctl_${name}`, text: sql, values });
}

const sql = {
  /** $1..$4 the settings (NULL keeps one), $5 the workspace. */
  updateWorkspace: statement(
    "update_workspace_permissions",
    `UPDATE workspaces SET default_permission_mode = COALESCE($1, default_permission_mode),
       permission_ceiling = COALESCE($2, permission_ceiling), approval_timeout_ms = COALESCE($3, approval_timeout_ms),
       approval_default_decision = COALESCE($4, approval_default_decision)
     WHERE workspace_id = $5 RETURNING ${workspaceColumns}`,
  ),
  /** The new row, or none when the request was stored before. */
  insertRequest: statement(
    "insert_permission_request",
    `INSERT INTO permission_requests (session_id, request_id, workspace_id, machine_id, tool_name, input, reason, tool_use_id, created_at, expire_at)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10) ON CONFLICT (session_id, request_id) DO NOTHING RETURNING ${columns}`,
  ),
  getRequest: statement("get_permission_request", `SELECT ${columns} FROM permission_requests WHERE session_id = $1 AND request_id = $2`),
  /** $1 workspace, $2 session or NULL for all. */
  pending: statement(
    "list_pending_permission_requests",
    `SELECT ${columns} FROM permission_requests WHERE workspace_id = $1 AND ($2::text IS NULL OR session_id = $2) AND decision = ''
     ORDER BY created_at, request_id`,
  ),
  /** $1 decision, $2 by, $3 now, $4 message, $5 updated input, $6 remember, $7 delivered, $8 session, $9 request, $10 whether to store the rule $11/$12. */
  decide: statement(
    "decide_permission_request",
    `WITH decided AS (
       UPDATE permission_requests SET decision = $1, decided_by = $2, decided_at = $3, message = $4, updated_input = $5::jsonb,
         remember = $6, delivered = $7
       WHERE session_id = $8 AND request_id = $9 AND decision = '' RETURNING ${columns}
     ), rule AS (
       INSERT INTO permission_rules (session_id, tool_name, prefix, created_at)
       SELECT session_id, $11, $12, $3 FROM decided WHERE $10::boolean
       ON CONFLICT (session_id, tool_name, prefix) DO NOTHING
     )
     SELECT ${columns} FROM decided`,
  ),
  markDelivered: statement(
    "mark_permission_delivered",
    "UPDATE permission_requests SET delivered = TRUE WHERE session_id = $1 AND request_id = $2 AND decision <> '' RETURNING request_id",
  ),
  undelivered: statement(
    "list_undelivered_permission_decisions",
    `SELECT ${prefixed} FROM permission_requests r JOIN sessions s ON s.session_id = r.session_id
     WHERE r.machine_id = $1 AND r.decision <> '' AND NOT r.delivered AND s.state = ANY($2::text[])
     ORDER BY r.decided_at, r.request_id`,
  ),
  expired: statement(
    "list_expired_permission_requests",
    `SELECT ${columns} FROM permission_requests WHERE decision = '' AND expire_at <= $1 ORDER BY expire_at, request_id LIMIT $2`,
  ),
  rules: statement(
    "list_permission_rules",
    "SELECT session_id, tool_name, prefix, created_at FROM permission_rules WHERE session_id = $1 ORDER BY created_at, tool_name, prefix",
  ),
};

function fromRow(row: RequestRow): PermissionRequestRecord {
  return {
    sessionId: row.session_id,
    requestId: row.request_id,
    workspaceId: row.workspace_id,
    machineId: row.machine_id,
    toolName: row.tool_name,
    input: row.input,
    reason: row.reason,
    toolUseId: row.tool_use_id,
    createdAt: Number(row.created_at),
    expireAt: Number(row.expire_at),
    decision: row.decision as "" | PermissionDecisionName,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at === null ? undefined : Number(row.decided_at),
    message: row.message,
    updatedInput: row.updated_input ?? undefined,
    remember: row.remember,
    delivered: row.delivered,
  };
}

function ruleFromRow(row: RuleRow): PermissionRuleRecord {
  return { sessionId: row.session_id, toolName: row.tool_name, prefix: row.prefix, createdAt: Number(row.created_at) };
}

/**
 * The PostgreSQL store's permission methods. A decision is one UPDATE
 * guarded by `decision = ''` (with its rule in a data-modifying CTE): of two
 * replicas deciding at once, the second waits on the row lock and then
 * finds it decided, so exactly one wins; the loser reads the winner's row.
 */
export function postgresPermissionMethods(run: PostgresRunner): Pick<Store, PermissionStoreMethod> {
  const noun = "permission request";
  const get = async (sessionId: string, requestId: string, signal?: AbortSignal) => {
    const [row] = await run.rows<RequestRow>(noun, signal, sql.getRequest(sessionId, requestId));
    return row && fromRow(row);
  };
  return {
    async updateWorkspacePermissions(workspaceId, p) {
      const values = [p.defaultMode ?? null, p.ceiling ?? null, p.approvalTimeoutMs ?? null, p.defaultDecision ?? null, workspaceId];
      const [row] = await run.rows<WorkspaceRow>("workspace", undefined, sql.updateWorkspace(...values));
      return row && workspaceFromRow(row);
    },
    async createPermissionRequest(r, signal) {
      const values = [r.sessionId, r.requestId, r.workspaceId, r.machineId, text(r.toolName), jsonb(r.input), text(r.reason), text(r.toolUseId)];
      const [row] = await run.rows<RequestRow>(noun, signal, sql.insertRequest(...values, r.createdAt, r.expireAt));
      if (row) return { request: fromRow(row), created: true };
      return { request: (await get(r.sessionId, r.requestId, signal))!, created: false };
    },
    getPermissionRequest: get,
    async listPendingPermissionRequests(query, signal) {
      const rows = await run.rows<RequestRow>(noun, signal, sql.pending(query.workspaceId, query.sessionId ?? null));
      return rows.map(fromRow);
    },
    async decidePermissionRequest(w, signal) {
      const values = [w.decision, text(w.decidedBy), w.now, text(w.message), jsonb(w.updatedInput), w.remember, w.delivered];
      const rule = [w.rule !== undefined, text(w.rule?.toolName ?? ""), text(w.rule?.prefix ?? "")];
      const [row] = await run.rows<RequestRow>(noun, signal, sql.decide(...values, w.sessionId, w.requestId, ...rule));
      if (row) return { request: fromRow(row), decided: true };
      // Not the first: a new statement sees the decision that won.
      const stored = await get(w.sessionId, w.requestId, signal);
      return stored && { request: stored, decided: false };
    },
    async markPermissionDelivered(sessionId, requestId) {
      return (await run.rows(noun, undefined, sql.markDelivered(sessionId, requestId))).length > 0;
    },
    async listUndeliveredPermissionDecisions(machineId, states, signal) {
      return (await run.rows<RequestRow>(noun, signal, sql.undelivered(machineId, [...states]))).map(fromRow);
    },
    async listExpiredPermissionRequests(now, limit) {
      return (await run.rows<RequestRow>(noun, undefined, sql.expired(now, Math.max(0, Math.floor(limit))))).map(fromRow);
    },
    async listPermissionRules(sessionId, signal) {
      return (await run.rows<RuleRow>("permission rule", signal, sql.rules(sessionId))).map(ruleFromRow);
    },
  };
}
