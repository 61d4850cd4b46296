import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { LaunchWorkspaceSessionResponse } from "../../gen/workspaces/v1/launch_pb.js";
import { type SessionEvent, SessionEventType, SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { formatTranscriptEntry } from "./format-transcript-entry.js";

/** `running` for `SessionState.RUNNING`; `unspecified` for 0. */
export function stateName(state: SessionState): string {
  return (SessionState[state] ?? String(state)).toLowerCase();
}

/** `acknowledged` for `SessionEventType.ACKNOWLEDGED`. */
export function eventTypeName(type: SessionEventType): string {
  return (SessionEventType[type] ?? String(type)).toLowerCase();
}

/** A payload value as text: strings as they are, anything else as JSON. */
export function formatValue(value: JsonValue | undefined): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value ?? null);
}

/** `key: value` lines of a launch result: `status` first, then each payload field in order. */
export function formatLaunchResult(res: LaunchWorkspaceSessionResponse): string[] {
  const payload: JsonObject = res.payload ?? {};
  return [`status: ${res.status}`, ...Object.entries(payload).map(([k, v]) => `${k}: ${formatValue(v)}`)];
}

const idFields = new Set(["session_id", "workspace_id", "machine_id"]);

/** `ok pid=123 provider=claude_code ...`: an acknowledgement on one line, without the ids the stream already showed. */
export function formatAcknowledgement(ack: LaunchWorkspaceSessionResponse | undefined): string {
  if (!ack) return "";
  const fields = Object.entries(ack.payload ?? {})
    .filter(([k]) => !idFields.has(k))
    .map(([k, v]) => `${k}=${formatValue(v)}`);
  return [ack.status, ...fields].join(" ");
}

/**
 * One line of text for a session event, for example
 * `#1 accepted session 5f0c... on m1`, `#3 acknowledged ok pid=4242 ...`, `#5 exited with code 0`,
 * `#7 awaiting_approval request prq_1: Bash needs approval`;
 * a transcript entry as `formatTranscriptEntry` shows it.
 */
export function formatEvent(event: SessionEvent): string {
  // A transcript entry reads as what the agent (or its user) said, without the event's head.
  if (event.type === SessionEventType.TRANSCRIPT && event.entry) return formatTranscriptEntry(event.entry);
  const head = `#${event.sequence} ${eventTypeName(event.type)}`;
  let detail: string;
  switch (event.type) {
    case SessionEventType.ACCEPTED:
      detail = `session ${event.sessionId} on ${event.machineId}`;
      break;
    case SessionEventType.DISPATCHED:
      detail = `to ${event.machineId}`;
      break;
    case SessionEventType.ACKNOWLEDGED:
      detail = formatAcknowledgement(event.acknowledgement);
      break;
    case SessionEventType.AWAITING_APPROVAL: {
      // The request's id is what `wsctl approve` needs; the message names the tool.
      const id = event.entry?.permissionRequest?.requestId;
      detail = id ? `request ${id}` : "";
      break;
    }
    case SessionEventType.EXITED:
    case SessionEventType.STOPPED:
      detail = event.exitCode === undefined ? "" : `with code ${event.exitCode}`;
      break;
    default:
      detail = "";
  }
  const message = event.message && event.type !== SessionEventType.ACKNOWLEDGED ? `: ${event.message}` : "";
  return `${head}${detail ? ` ${detail}` : ""}${message}`;
}

const terminalEventTypes: ReadonlySet<SessionEventType> = new Set([
  SessionEventType.EXITED,
  SessionEventType.FAILED,
  SessionEventType.STOPPED,
]);

/** Whether the event ends the session: exited, failed or stopped. */
export function isTerminalEvent(event: SessionEvent): boolean {
  return terminalEventTypes.has(event.type);
}

/** The exit status of a follow: 0 when the session exited with code 0, else 1 (a stopped session too). */
export function followExitStatus(last: SessionEvent | undefined): number {
  return last?.type === SessionEventType.EXITED && last.exitCode === 0 ? 0 : 1;
}
