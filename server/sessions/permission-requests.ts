import { create, fromJson, type JsonObject, type JsonValue, toJson } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { type PermissionRequest, PermissionRequestSchema } from "../../gen/workspaces/v1/permission_pb.js";
import type {
  NewPermissionRequest,
  PermissionRequestRecord,
  PermissionRuleRecord,
  SessionRecord,
  TranscriptEntryRecord,
} from "../store/store.js";

/** The API message of a stored permission request. */
export function permissionRequestMessage(record: PermissionRequestRecord): PermissionRequest {
  return create(PermissionRequestSchema, {
    requestId: record.requestId,
    sessionId: record.sessionId,
    workspaceId: record.workspaceId,
    machineId: record.machineId,
    toolName: record.toolName,
    input: record.input,
    reason: record.reason,
    toolUseId: record.toolUseId,
    createTime: timestampFromMs(record.createdAt),
    expireTime: timestampFromMs(record.expireAt),
    decision: record.decision,
    decidedBy: record.decidedBy,
    decideTime: record.decidedAt === undefined ? undefined : timestampFromMs(record.decidedAt),
    message: record.message,
    updatedInput: record.updatedInput,
    remember: record.remember,
    delivered: record.delivered,
  });
}

/** The PermissionRequest an entry carries; undefined when it carries none a request id names. */
export function entryPermissionRequest(entry: TranscriptEntryRecord): PermissionRequest | undefined {
  if (entry.permissionRequest === undefined) return undefined;
  const request = fromJson(PermissionRequestSchema, entry.permissionRequest, { ignoreUnknownFields: true });
  return request.requestId === "" ? undefined : request;
}

/**
 * The pending request a PERMISSION_REQUEST entry of `session` stands for: its
 * tool and input from the entry (else from its request), created when the
 * daemon says (else `now`), expiring when the daemon says (else after
 * `timeoutMs`, the workspace's approval timeout).
 */
export function newPermissionRequest(
  session: SessionRecord,
  entry: TranscriptEntryRecord,
  request: PermissionRequest,
  options: { now: number; timeoutMs: number },
): NewPermissionRequest {
  const createdAt = request.createTime ? timestampMs(request.createTime) : options.now;
  return {
    sessionId: session.sessionId,
    requestId: request.requestId,
    workspaceId: session.workspaceId,
    machineId: session.machineId,
    toolName: entry.toolName || request.toolName,
    input: entry.toolInput ?? request.input ?? {},
    reason: request.reason,
    toolUseId: request.toolUseId || entry.toolCallId || "",
    createdAt,
    expireAt: request.expireTime ? timestampMs(request.expireTime) : options.now + options.timeoutMs,
  };
}

/** The PERMISSION_REQUEST entry of a stored request, as an AWAITING_APPROVAL event carries it when no entry is at hand. */
export function permissionRequestEntry(record: PermissionRequestRecord, offset: number): TranscriptEntryRecord {
  return {
    offset,
    role: "system",
    kind: "permission_request",
    text: "",
    toolName: record.toolName,
    toolInput: record.input,
    permissionRequest: toJson(PermissionRequestSchema, permissionRequestMessage(record)) as JsonObject,
  };
}

/** The first word of a Bash call's command: what a remembered Bash rule matches. */
function commandPrefix(input: JsonObject): string {
  const command: JsonValue | undefined = input.command;
  return typeof command === "string" ? (command.trim().split(/\s+/)[0] ?? "") : "";
}

/** The rule an answer with `remember` stores: the tool, and for `Bash` the command's first word. */
export function permissionRuleOf(toolName: string, input: JsonObject): { toolName: string; prefix: string } {
  return { toolName, prefix: toolName === "Bash" ? commandPrefix(input) : "" };
}

/** Whether one of `rules` allows a call of `toolName` with `input` (same tool; for `Bash`, same first word). */
export function matchesPermissionRule(rules: readonly PermissionRuleRecord[], toolName: string, input: JsonObject): boolean {
  const wanted = permissionRuleOf(toolName, input);
  return rules.some((rule) => rule.toolName === wanted.toolName && rule.prefix === wanted.prefix);
}

/** How a decision reads in a session's history: "Bash allowed by tok_x". */
export function describeDecision(record: PermissionRequestRecord): string {
  const verb = record.decision === "allow" ? "allowed" : "denied";
  const by =
    record.decidedBy === "timeout"
      ? "the workspace's default (nobody answered in time)"
      : record.decidedBy === "remembered"
        ? "a remembered rule"
        : record.decidedBy;
  return `${record.toolName || "the tool"} ${verb} by ${by}`;
}
