import type { PermissionDecisionName, PermissionRequestRecord, PermissionRuleRecord } from "../store.js";
import { jsonObject } from "./sqlite-rows.js";

/** A `permission_requests` row as better-sqlite3 returns it. */
export interface PermissionRequestRow {
  session_id: string;
  request_id: string;
  workspace_id: string;
  machine_id: string;
  tool_name: string;
  input_json: string;
  reason: string;
  tool_use_id: string;
  created_at: number;
  expire_at: number;
  decision: string;
  decided_by: string;
  decided_at: number | null;
  message: string;
  updated_input_json: string;
  remember: number;
  delivered: number;
}

/** A `permission_rules` row. */
export interface PermissionRuleRow {
  session_id: string;
  tool_name: string;
  prefix: string;
  created_at: number;
}

export function permissionRequestFromRow(row: PermissionRequestRow): PermissionRequestRecord {
  return {
    sessionId: row.session_id,
    requestId: row.request_id,
    workspaceId: row.workspace_id,
    machineId: row.machine_id,
    toolName: row.tool_name,
    input: jsonObject(row.input_json) ?? {},
    reason: row.reason,
    toolUseId: row.tool_use_id,
    createdAt: row.created_at,
    expireAt: row.expire_at,
    decision: row.decision as "" | PermissionDecisionName,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at ?? undefined,
    message: row.message,
    updatedInput: jsonObject(row.updated_input_json),
    remember: row.remember !== 0,
    delivered: row.delivered !== 0,
  };
}

export function permissionRuleFromRow(row: PermissionRuleRow): PermissionRuleRecord {
  return { sessionId: row.session_id, toolName: row.tool_name, prefix: row.prefix, createdAt: row.created_at };
}
