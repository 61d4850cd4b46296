import type {
  Acknowledgement,
  SessionEventRecord,
  SessionMoveWrite,
  SessionPatch,
  SessionRecord,
  SessionStateName,
  TranscriptEntryRecord,
} from "../store/store.js";
import { ackPatch } from "./ack-patch.js";
import { nextState, type SessionMove } from "./session-transitions.js";

/** An event a move appends: its type, and what it carries besides the new state. */
export interface MoveEvent {
  type: string;
  /** The state the event records, when it is not the move's (a `dispatched` the ack writes). Default: the move's. */
  state?: SessionStateName;
  acknowledgement?: Acknowledgement;
  exitCode?: number;
  message?: string;
  entry?: TranscriptEntryRecord;
}

/** What a move writes, decided on the session as stored. */
export interface MovePlan {
  move: SessionMove;
  patch: Omit<SessionPatch, "state" | "updatedAt">;
  events: MoveEvent[];
}

/** A move as the store wrote it: the session after it, and the events it appended. */
export interface MovedSession {
  session: SessionRecord;
  events: SessionEventRecord[];
}

/** What `store.moveSession` writes for `planned`, decided on `current`, to `state`, at `time`. */
export function moveWrite(current: SessionRecord, planned: MovePlan, state: SessionStateName, time: number): SessionMoveWrite {
  const { sessionId } = current;
  return {
    sessionId,
    from: current.state,
    patch: { ...planned.patch, state, updatedAt: time },
    events: planned.events.map((e) => ({
      sessionId,
      type: e.type,
      state: e.state ?? state,
      machineId: current.machineId,
      acknowledgement: e.acknowledgement,
      exitCode: e.exitCode,
      message: e.message ?? "",
      ...(e.entry ? { entry: e.entry } : {}),
      now: time,
    })),
  };
}

/**
 * The acknowledgement's move: `ack_ok` or `ack_error`; an error that fails a live launch also appends
 * `failed`. An ack of a session still `pending` came before its dispatch's own write (which follows the
 * push a turn later) or for a command redelivered to a subscribing daemon: either way the command was
 * on the daemon's stream, so the ack writes that `dispatched` event first, in state `dispatched`, and
 * the trail reads accepted, dispatched, acknowledged as it always does.
 */
export function ackPlan(result: Acknowledgement): (from: SessionRecord) => MovePlan {
  const ok = result.status === "ok";
  const { patch, errorMessage } = ackPatch(result);
  return (from) => {
    const acked: MoveEvent = { type: "acknowledged", acknowledgement: result, message: errorMessage };
    // An error that fails a live launch ends its stream with a `failed` event.
    const failsNow = !ok && nextState(from.state, "ack_error") === "failed" && from.state !== "failed";
    const events: MoveEvent[] = failsNow ? [acked, { type: "failed", message: errorMessage }] : [acked];
    if (from.state === "pending") events.unshift({ type: "dispatched", state: "dispatched" });
    return { move: ok ? "ack_ok" : "ack_error", patch, events };
  };
}
