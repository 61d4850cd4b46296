import { type TranscriptEntry, TranscriptEntryKind, TranscriptRole } from "../../gen/workspaces/v1/transcript_pb.js";
import { formatToolCall, lineLimit, oneLine } from "./format-tool-call.js";
import { formatPermissionEntry } from "./format-permission-request.js";

/**
 * A transcript entry as a person reads it in a terminal: the agent's text as
 * text, a message sent to it after `> `, each tool call and each tool result
 * on one line (`→ Bash(npm test)`, `  ← 3 lines: FAIL …`), a turn's end with
 * its duration and cost, errors after `! `, a permission request after `? `
 * and its decision after `✓ ` or `✗ `, raw output as it came.
 */
export function formatTranscriptEntry(entry: TranscriptEntry): string {
  const cut = entry.truncated ? " [truncated]" : "";
  switch (entry.kind) {
    case TranscriptEntryKind.TEXT:
      if (entry.role === TranscriptRole.USER) return `> ${entry.text.replace(/\n/g, "\n> ")}${cut}`;
      if (entry.role === TranscriptRole.SYSTEM) return `· ${entry.text}${cut}`;
      return `${entry.text}${cut}`;
    case TranscriptEntryKind.TOOL_CALL:
      return `→ ${formatToolCall(entry.toolName, entry.toolInput, lineLimit - 2)}${cut}`;
    case TranscriptEntryKind.TOOL_RESULT: {
      const lines = entry.text === "" ? 0 : entry.text.trimEnd().split("\n").length;
      const head = entry.isError ? "← error" : "←";
      return `  ${head} ${lines} line${lines === 1 ? "" : "s"}${lines > 0 ? `: ${oneLine(entry.text)}` : ""}${cut}`;
    }
    case TranscriptEntryKind.RESULT: {
      const detail = entry.detail ?? {};
      const facts: string[] = [];
      if (typeof detail.duration_ms === "number") facts.push(`${(detail.duration_ms / 1000).toFixed(1)} s`);
      if (typeof detail.total_cost_usd === "number") facts.push(`$${detail.total_cost_usd.toFixed(4)}`);
      const how = entry.isError ? "turn failed" : "turn done";
      return `— ${how}${facts.length > 0 ? ` (${facts.join(", ")})` : ""}${entry.text && entry.isError ? `: ${oneLine(entry.text)}` : ""}`;
    }
    case TranscriptEntryKind.ERROR:
      return `! ${entry.text}${cut}`;
    case TranscriptEntryKind.PERMISSION_REQUEST:
    case TranscriptEntryKind.PERMISSION_DECISION:
      return formatPermissionEntry(entry);
    default:
      return entry.text !== "" ? `${entry.text}${cut}` : `· ${oneLine(JSON.stringify(entry.detail ?? {}))}`;
  }
}
