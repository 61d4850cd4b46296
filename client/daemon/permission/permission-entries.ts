import type { JsonObject } from "@bufbuild/protobuf";
import type { DaemonEntry, PermissionEntry } from "../transcript/transcript-entry.js";
import type { PermissionAsk, PermissionVerdict } from "./permission-files.js";

/** Who the request belongs to and when it expires, beside what the agent asked. */
export interface AskContext {
  sessionId: string;
  workspaceId: string;
  expireTime: number;
}

/** What a tool call is about in a few words: a Bash command, a file's path. */
export function describeUse(toolName: string, input: JsonObject): string {
  const what = input.command ?? input.file_path ?? input.path ?? input.url ?? input.pattern;
  const text = typeof what === "string" ? what : "";
  const short = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return short ? `${toolName}: ${short}` : toolName;
}

function pending(ask: PermissionAsk, context: AskContext): PermissionEntry {
  return {
    requestId: ask.request_id,
    sessionId: context.sessionId,
    workspaceId: context.workspaceId,
    toolName: ask.tool_name,
    input: ask.input,
    reason: ask.reason,
    toolUseId: ask.tool_use_id,
    createTime: Date.parse(ask.create_time),
    expireTime: context.expireTime,
  };
}

/** The PERMISSION_REQUEST entry of a request: SYSTEM, the tool and its input, the request pending. */
export function requestEntry(ask: PermissionAsk, context: AskContext): DaemonEntry {
  return {
    role: "system",
    kind: "permission_request",
    text: `permission requested: ${describeUse(ask.tool_name, ask.input)}`,
    toolName: ask.tool_name,
    toolInput: ask.input,
    ...(ask.tool_use_id ? { toolCallId: ask.tool_use_id } : {}),
    agentTime: Date.parse(ask.create_time),
    permission: pending(ask, context),
  };
}

/** The PERMISSION_DECISION entry of a request whose decision reached the agent. */
export function decisionEntry(ask: PermissionAsk, verdict: PermissionVerdict, context: AskContext, deliveredAt: number): DaemonEntry {
  const by = verdict.decided_by ? ` (decided by ${verdict.decided_by})` : "";
  return {
    role: "system",
    kind: "permission_decision",
    text: `permission ${verdict.decision === "allow" ? "allowed" : "denied"}: ${describeUse(ask.tool_name, ask.input)}${by}`,
    toolName: ask.tool_name,
    ...(ask.tool_use_id ? { toolCallId: ask.tool_use_id } : {}),
    agentTime: deliveredAt,
    permission: {
      ...pending(ask, context),
      decision: verdict.decision,
      decidedBy: verdict.decided_by,
      decideTime: Date.parse(verdict.decide_time) || deliveredAt,
      message: verdict.message,
      ...(verdict.updated_input !== undefined ? { updatedInput: verdict.updated_input } : {}),
      remember: verdict.remember,
      delivered: true,
    },
  };
}
