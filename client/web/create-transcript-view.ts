import type { JsonObject } from "@bufbuild/protobuf";
import type { SessionEvent } from "../../gen/workspaces/v1/session_pb.js";
import { type TranscriptEntry, TranscriptEntryKind, TranscriptRole } from "../../gen/workspaces/v1/transcript_pb.js";
import { timeText } from "./describe-event.js";
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

/** The most telling argument of a tool call, on one short line. */
function toolSummary(entry: TranscriptEntry): string {
  const input: JsonObject = entry.toolInput ?? {};
  for (const key of ["command", "file_path", "path", "pattern", "query", "url", "description"]) {
    const value = input[key];
    if (typeof value === "string" && value !== "") return `${entry.toolName}(${value.replace(/\s+/g, " ").slice(0, 120)})`;
  }
  return entry.toolName;
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
          element("summary", { "data-testid": "tool-summary" }, `→ ${toolSummary(entry)}`),
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
