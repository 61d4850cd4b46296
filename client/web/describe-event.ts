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

/** Local wall-clock time of a timestamp, or "" when unset. */
export function timeText(ts: Timestamp | undefined): string {
  return ts ? timestampDate(ts).toLocaleTimeString() : "";
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
