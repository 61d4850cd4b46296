import type { SessionEvent } from "../../gen/workspaces/v1/session_pb.js";
import { type TranscriptEntry, TranscriptEntryKind, TranscriptRole } from "../../gen/workspaces/v1/transcript_pb.js";
import { timeText, toolCallText } from "./describe-event.js";
import { element } from "./element.js";

/** A session's transcript as the page shows it. */
export interface TranscriptView {
  /** Empties it (another session was selected). */
  clear(): void;
  /** Adds one TRANSCRIPT event at the end, scrolling along when the reader was at the bottom. */
  append(ev: SessionEvent): void;
}

const roleNames: Record<TranscriptRole, string> = {
  [TranscriptRole.UNSPECIFIED]: "system",
  [TranscriptRole.USER]: "user",
  [TranscriptRole.ASSISTANT]: "assistant",
  [TranscriptRole.SYSTEM]: "system",
  [TranscriptRole.TOOL]: "tool",
};
const kindNames: Record<TranscriptEntryKind, string> = {
  [TranscriptEntryKind.UNSPECIFIED]: "raw",
  [TranscriptEntryKind.TEXT]: "text",
  [TranscriptEntryKind.TOOL_CALL]: "tool_call",
  [TranscriptEntryKind.TOOL_RESULT]: "tool_result",
  [TranscriptEntryKind.RESULT]: "result",
  [TranscriptEntryKind.ERROR]: "error",
  [TranscriptEntryKind.RAW]: "raw",
  [TranscriptEntryKind.PERMISSION_REQUEST]: "permission_request",
  [TranscriptEntryKind.PERMISSION_DECISION]: "permission_decision",
};

/** `Bash(npm test) asks for approval`, `Allowed Bash(npm test) by tok_1`, `Denied … by the approval timeout: …`. */
function permissionText(entry: TranscriptEntry): string {
  const req = entry.permissionRequest;
  const call = toolCallText(req?.toolName || entry.toolName, req?.input ?? entry.toolInput);
  if (entry.kind === TranscriptEntryKind.PERMISSION_REQUEST) return `${call} asks for approval`;
  const by = req?.decidedBy === "timeout" ? "the approval timeout" : req?.decidedBy === "remembered" ? "a remembered rule" : req?.decidedBy || "?";
  return `${req?.decision === "allow" ? "Allowed" : "Denied"} ${call} by ${by}${req?.message ? `: ${req.message}` : ""}`;
}

function resultSummary(entry: TranscriptEntry): string {
  const d = entry.detail ?? {};
  const facts = [
    typeof d.duration_ms === "number" ? `${(d.duration_ms / 1000).toFixed(1)} s` : "",
    typeof d.total_cost_usd === "number" ? `$${d.total_cost_usd.toFixed(4)}` : "",
  ].filter(Boolean);
  return `${entry.isError ? "Turn failed" : "Turn done"}${facts.length ? ` · ${facts.join(" · ")}` : ""}`;
}

/**
 * The transcript panel: the agent's text as paragraphs, messages sent to it
 * as the user's bubbles, each tool call folded (`<details>`, its input and
 * its result inside, the result joined to its call by id), turn ends, errors
 * and raw output. It scrolls to the newest entry while the reader is at the
 * bottom, and stays put while they read further up.
 */
export function createTranscriptView(container: HTMLElement): TranscriptView {
  const calls = new Map<string, HTMLElement>();

  function node(entry: TranscriptEntry, ev: SessionEvent): HTMLElement | undefined {
    const role = roleNames[entry.role] ?? "system";
    const kind = kindNames[entry.kind] ?? "raw";
    const attrs = {
      class: `entry entry-${kind} role-${role}${entry.truncated ? " truncated" : ""}${entry.isError ? " is-error" : ""}`,
      "data-testid": "transcript-entry",
      "data-kind": kind,
      "data-role": role,
      "data-sequence": String(ev.sequence),
      title: timeText(ev.time),
    };
    const cut = entry.truncated ? element("span", { class: "cut" }, " [truncated]") : undefined;
    switch (entry.kind) {
      case TranscriptEntryKind.TOOL_CALL: {
        const details = element(
          "details",
          { ...attrs, "data-tool-call-id": entry.toolCallId },
          element("summary", { "data-testid": "tool-summary" }, `→ ${toolCallText(entry.toolName, entry.toolInput)}`),
          element("pre", { class: "tool-input" }, JSON.stringify(entry.toolInput ?? {}, null, 2)),
          cut,
        );
        if (entry.toolCallId) calls.set(entry.toolCallId, details);
        return details;
      }
      case TranscriptEntryKind.TOOL_RESULT: {
        const body = element("pre", { ...attrs, class: `${attrs.class} tool-output` }, entry.text || "(no output)", cut);
        const call = calls.get(entry.toolCallId);
        if (call) {
          call.append(body);
          if (entry.isError) call.classList.add("is-error");
          return undefined;
        }
        return element("details", attrs, element("summary", {}, entry.isError ? "← tool error" : "← tool output"), body);
      }
      case TranscriptEntryKind.RESULT:
        return element("div", attrs, resultSummary(entry), entry.isError && entry.text ? `: ${entry.text}` : "");
      case TranscriptEntryKind.ERROR:
        return element("div", attrs, entry.text, cut);
      case TranscriptEntryKind.PERMISSION_REQUEST:
      case TranscriptEntryKind.PERMISSION_DECISION:
        return element("div", attrs, permissionText(entry));
      case TranscriptEntryKind.RAW:
        return element("pre", attrs, entry.text || JSON.stringify(entry.detail ?? {}), cut);
      default:
        return element("div", attrs, entry.text, cut);
    }
  }

  return {
    clear() {
      calls.clear();
      container.replaceChildren();
    },
    append(ev) {
      if (!ev.entry) return;
      const atBottom = container.scrollTop + container.clientHeight >= container.scrollHeight - 24;
      const added = node(ev.entry, ev);
      if (added) container.append(added);
      if (atBottom) container.scrollTop = container.scrollHeight;
    },
  };
}
