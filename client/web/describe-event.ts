import type { JsonObject } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { type SessionEvent, SessionEventType, SessionState } from "../../gen/workspaces/v1/session_pb.js";

const stateNames: Record<SessionState, string> = {
  [SessionState.UNSPECIFIED]: "unspecified",
  [SessionState.PENDING]: "pending",
  [SessionState.DISPATCHED]: "dispatched",
  [SessionState.RUNNING]: "running",
  [SessionState.EXITED]: "exited",
  [SessionState.FAILED]: "failed",
  [SessionState.UNKNOWN]: "unknown",
  [SessionState.STOPPED]: "stopped",
  [SessionState.AWAITING_APPROVAL]: "awaiting_approval",
};

const eventNames: Record<SessionEventType, string> = {
  [SessionEventType.UNSPECIFIED]: "unspecified",
  [SessionEventType.ACCEPTED]: "accepted",
  [SessionEventType.DISPATCHED]: "dispatched",
  [SessionEventType.ACKNOWLEDGED]: "acknowledged",
  [SessionEventType.RUNNING]: "running",
  [SessionEventType.EXITED]: "exited",
  [SessionEventType.FAILED]: "failed",
  [SessionEventType.UNKNOWN]: "unknown",
  [SessionEventType.HEARTBEAT]: "heartbeat",
  [SessionEventType.TRANSCRIPT]: "transcript",
  [SessionEventType.STOPPED]: "stopped",
  [SessionEventType.AWAITING_APPROVAL]: "awaiting_approval",
};

/** Lower-case state name, as shown and as set in `data-state`. */
export const stateName = (state: SessionState): string => stateNames[state] ?? "unspecified";

/** Lower-case event type name, as shown and as set in `data-type`. */
export const eventName = (type: SessionEventType): string => eventNames[type] ?? "unspecified";

const terminalStates: ReadonlySet<SessionState> = new Set([SessionState.EXITED, SessionState.FAILED, SessionState.STOPPED]);

/** Whether a session in this state will not change again. */
export const isTerminal = (state: SessionState): boolean => terminalStates.has(state);

/** Local date and time of a timestamp to the minute, `2026-12-01 16:20`, or "" when unset. */
export function dateTimeText(ts: Timestamp | undefined): string {
  if (!ts) return "";
  const d = timestampDate(ts);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** A timestamp as ISO 8601 (a `<time datetime>`), or undefined when unset. */
export function isoText(ts: Timestamp | undefined): string | undefined {
  return ts ? timestampDate(ts).toISOString() : undefined;
}

/** Local wall-clock time of a timestamp, or "" when unset. */
export function timeText(ts: Timestamp | undefined): string {
  return ts ? timestampDate(ts).toLocaleTimeString() : "";
}

/** `Bash(npm test)`: a tool call and its most telling argument (a command, a path, a query), on one short line. */
export function toolCallText(toolName: string, input: JsonObject | undefined): string {
  for (const key of ["command", "file_path", "path", "pattern", "query", "url", "description"]) {
    const value = input?.[key];
    if (typeof value === "string" && value !== "") return `${toolName}(${value.replace(/\s+/g, " ").slice(0, 120)})`;
  }
  return toolName;
}

/** What the event says, in one line, after its type name. */
export function eventDetail(ev: SessionEvent): string {
  switch (ev.type) {
    case SessionEventType.ACCEPTED:
      return `session ${ev.sessionId.slice(0, 8)} on machine ${ev.machineId}`;
    case SessionEventType.DISPATCHED:
      return `launch command sent to ${ev.machineId}`;
    case SessionEventType.ACKNOWLEDGED: {
      const ack = ev.acknowledgement;
      const p = ack?.payload ?? {};
      if (ack?.status !== "ok") {
        const err = p.error as { code?: string; message?: string } | undefined;
        return `status ${ack?.status ?? "?"}${err ? ` — ${err.code ?? ""}: ${err.message ?? ""}` : ""}`;
      }
      const parts = [`status ok`, p.provider && `${String(p.provider)}`, p.model && `model ${String(p.model)}`];
      parts.push(p.pid !== undefined ? `pid ${String(p.pid)}` : undefined, p.branch ? `branch ${String(p.branch)}` : undefined);
      return parts.filter(Boolean).join(", ");
    }
    case SessionEventType.EXITED:
      return `code ${ev.exitCode ?? "?"}`;
    case SessionEventType.STOPPED:
      return ev.exitCode !== undefined ? `${ev.message}, code ${ev.exitCode}` : ev.message;
    case SessionEventType.FAILED:
      return ev.message;
    case SessionEventType.UNKNOWN:
      return ev.message || "machine went offline";
    default:
      return ev.message;
  }
}
