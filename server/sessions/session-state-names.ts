import { SessionEventType, SessionState } from "../../gen/workspaces/v1/session_pb.js";
import type { SessionStateName } from "../store/store.js";

const toEnum: Record<SessionStateName, SessionState> = {
  pending: SessionState.PENDING,
  dispatched: SessionState.DISPATCHED,
  running: SessionState.RUNNING,
  exited: SessionState.EXITED,
  failed: SessionState.FAILED,
  unknown: SessionState.UNKNOWN,
  stopped: SessionState.STOPPED,
  awaiting_approval: SessionState.AWAITING_APPROVAL,
};

/** The proto enum of a stored state name. */
export function sessionStateFromName(name: SessionStateName): SessionState {
  return toEnum[name];
}

/** The stored name of a proto state; undefined for UNSPECIFIED. */
export function sessionStateName(state: SessionState): SessionStateName | undefined {
  for (const [name, value] of Object.entries(toEnum)) if (value === state) return name as SessionStateName;
  return undefined;
}

/** Stored event type names, in the order a session usually goes through them. */
export type SessionEventTypeName =
  | "accepted"
  | "dispatched"
  | "acknowledged"
  | "running"
  | "exited"
  | "failed"
  | "unknown"
  | "transcript"
  | "stopped"
  | "awaiting_approval";

const eventTypes: Record<SessionEventTypeName, SessionEventType> = {
  accepted: SessionEventType.ACCEPTED,
  dispatched: SessionEventType.DISPATCHED,
  acknowledged: SessionEventType.ACKNOWLEDGED,
  running: SessionEventType.RUNNING,
  exited: SessionEventType.EXITED,
  failed: SessionEventType.FAILED,
  unknown: SessionEventType.UNKNOWN,
  transcript: SessionEventType.TRANSCRIPT,
  stopped: SessionEventType.STOPPED,
  awaiting_approval: SessionEventType.AWAITING_APPROVAL,
};

/** The proto enum of a stored event type name; UNSPECIFIED for any other name. */
export function sessionEventTypeFromName(name: string): SessionEventType {
  // Own keys only: "toString" or "__proto__" must not reach Object.prototype.
  return Object.hasOwn(eventTypes, name) ? eventTypes[name as SessionEventTypeName] : SessionEventType.UNSPECIFIED;
}
