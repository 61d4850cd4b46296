import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { PermissionRequestSchema } from "../../../gen/workspaces/v1/permission_pb.js";
import type { TranscriptEntrySchema } from "../../../gen/workspaces/v1/transcript_pb.js";
import { transcriptKinds, transcriptRoles } from "../../transcript-entry-names.js";

/**
 * One transcript entry as the daemon keeps it (in memory and in its journal):
 * a plain JSON value, optional fields absent. Sent as a TranscriptEntry.
 */
export interface DaemonEntry {
  role: "user" | "assistant" | "system" | "tool";
  kind: "text" | "tool_call" | "tool_result" | "result" | "error" | "raw" | "permission_request" | "permission_decision";
  text: string;
  toolName?: string;
  toolInput?: JsonObject;
  toolCallId?: string;
  detail?: JsonObject;
  /** Unix ms. */
  agentTime?: number;
  truncated?: boolean;
  isError?: boolean;
  /** On permission_request (pending) and permission_decision (decided) entries. */
  permission?: PermissionEntry;
}

/** A permission request as a transcript entry carries it (PermissionRequest); times in Unix ms. */
export interface PermissionEntry {
  requestId: string;
  sessionId: string;
  workspaceId: string;
  toolName: string;
  input: JsonObject;
  reason: string;
  toolUseId: string;
  createTime: number;
  expireTime: number;
  decision?: "allow" | "deny";
  decidedBy?: string;
  decideTime?: number;
  message?: string;
  updatedInput?: JsonObject;
  remember?: boolean;
  delivered?: boolean;
}

const roles = transcriptRoles;
const kinds = transcriptKinds;

/** The TranscriptEntry of a daemon entry at `offset`. */
export function entryMessage(entry: DaemonEntry, offset: number): MessageInitShape<typeof TranscriptEntrySchema> {
  return {
    offset: BigInt(offset),
    role: roles[entry.role],
    kind: kinds[entry.kind],
    text: entry.text,
    toolName: entry.toolName ?? "",
    toolInput: entry.toolInput,
    toolCallId: entry.toolCallId ?? "",
    detail: entry.detail,
    agentTime: entry.agentTime === undefined ? undefined : timestampFromMs(entry.agentTime),
    truncated: entry.truncated ?? false,
    isError: entry.isError ?? false,
    permissionRequest: entry.permission === undefined ? undefined : permissionMessage(entry.permission),
  };
}

/** The PermissionRequest of a permission entry. */
function permissionMessage(p: PermissionEntry): MessageInitShape<typeof PermissionRequestSchema> {
  return {
    requestId: p.requestId,
    sessionId: p.sessionId,
    workspaceId: p.workspaceId,
    toolName: p.toolName,
    input: p.input,
    reason: p.reason,
    toolUseId: p.toolUseId,
    createTime: timestampFromMs(p.createTime),
    expireTime: timestampFromMs(p.expireTime),
    decision: p.decision ?? "",
    decidedBy: p.decidedBy ?? "",
    decideTime: p.decideTime === undefined ? undefined : timestampFromMs(p.decideTime),
    message: p.message ?? "",
    updatedInput: p.updatedInput,
    remember: p.remember ?? false,
    delivered: p.delivered ?? false,
  };
}

/** A JSON object, when `value` is one. */
export function objectOf(value: unknown): JsonObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** A string, when `value` is one. */
export function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The Unix ms of an event's ISO `timestamp`, else `fallback`. */
export function timeOf(event: JsonObject, fallback: number): number {
  const at = stringOf(event.timestamp);
  const ms = at === undefined ? Number.NaN : Date.parse(at);
  return Number.isFinite(ms) ? ms : fallback;
}

/** Keeps only the named fields of `event` that are present. */
export function pick(event: JsonObject, keys: readonly string[]): JsonObject | undefined {
  const out: JsonObject = {};
  for (const key of keys) if (event[key] !== undefined) out[key] = event[key];
  return Object.keys(out).length > 0 ? out : undefined;
}
