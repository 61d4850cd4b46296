import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import type { PermissionRequest } from "../../gen/workspaces/v1/permission_pb.js";
import { type TranscriptEntry, TranscriptEntryKind } from "../../gen/workspaces/v1/transcript_pb.js";
import { formatTable } from "./cli-output.js";
import { formatTime } from "./format-session.js";
import { formatToolCall, oneLine, toolArgument } from "./format-tool-call.js";

/** `45s`, `12m`, `3h 5m`: a span of time, rounded down, for a table cell. */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
}

const at = (time: Timestamp | undefined) => (time ? timestampMs(time) : undefined);

/** `in 9m`, `overdue`, `-`: how long a request still waits before the workspace's default decision applies. */
export function formatExpiry(req: PermissionRequest, nowMs: number): string {
  const expire = at(req.expireTime);
  if (expire === undefined) return "-";
  return expire > nowMs ? `in ${formatSpan(expire - nowMs)}` : "overdue";
}

/** Who decided, as a person reads it: `tok_1`, `the approval timeout`, `a remembered rule`. */
export function deciderName(decidedBy: string): string {
  if (decidedBy === "timeout") return "the approval timeout";
  if (decidedBy === "remembered") return "a remembered rule";
  return decidedBy || "?";
}

/**
 * `allowed Bash(npm test) by tok_1 at 2025-01-02T03:04:05Z`, then `, remembered`
 * when the answer allows the tool for the rest of the session, then `: message`.
 */
export function formatDecision(req: PermissionRequest): string {
  const verb = req.decision === "allow" ? "allowed" : req.decision === "deny" ? "denied" : (req.decision || "undecided");
  const when = req.decideTime ? ` at ${formatTime(req.decideTime)}` : "";
  const remembered = req.remember ? ", remembered for this session" : "";
  const message = req.message ? `: ${oneLine(req.message)}` : "";
  return `${verb} ${formatToolCall(req.toolName, req.input, 100)} by ${deciderName(req.decidedBy)}${when}${remembered}${message}`;
}

/** Table lines of pending requests: session, request, tool, its most telling argument, age, expiry. */
export function formatPermissionTable(requests: readonly PermissionRequest[], nowMs: number): string[] {
  return formatTable([
    ["SESSION", "REQUEST", "TOOL", "INPUT", "AGE", "EXPIRES"],
    ...requests.map((r) => {
      const created = at(r.createTime);
      return [
        r.sessionId,
        r.requestId,
        r.toolName,
        oneLine(toolArgument(r.input), 60),
        created === undefined ? "-" : formatSpan(nowMs - created),
        formatExpiry(r, nowMs),
      ];
    }),
  ]);
}

/**
 * A PERMISSION_REQUEST or PERMISSION_DECISION transcript entry on one line:
 * `? Bash(rm -rf build) asks for approval: request prq_1, expires 2025-…Z — reason`,
 * `✓ allowed Bash(rm -rf build) by tok_1 at …`, `✗ denied … by the approval timeout`.
 */
export function formatPermissionEntry(entry: TranscriptEntry): string {
  const req = entry.permissionRequest;
  const toolName = req?.toolName || entry.toolName;
  const input = req?.input ?? entry.toolInput;
  if (entry.kind === TranscriptEntryKind.PERMISSION_REQUEST) {
    const facts = [`request ${req?.requestId || "?"}`];
    if (req?.expireTime) facts.push(`expires ${formatTime(req.expireTime)}`);
    const reason = req?.reason ? ` — ${oneLine(req.reason, 100)}` : "";
    return `? ${formatToolCall(toolName, input, 100)} asks for approval: ${facts.join(", ")}${reason}`;
  }
  if (!req) return `· permission decision${entry.text ? `: ${oneLine(entry.text)}` : ""}`;
  const mark = req.decision === "allow" ? "✓" : "✗";
  return `${mark} ${formatDecision({ ...req, toolName, input })}`;
}
