import { Code, ConnectError } from "@connectrpc/connect";
import type { SessionEventRecord, SessionStateName } from "../store/store.js";

/**
 * What moves a session: each is one row group of the transition table.
 *
 * - `reuse`: a launch with `user_session_id` takes a finished session again.
 * - `dispatch`: the launch command is on the daemon's stream.
 * - `ack_ok` / `ack_error`: the daemon acknowledged the launch before the server gave up on it.
 * - `ack_late`: an acknowledgement that came after the caller was told `deadline_exceeded`.
 * - `report_running` / `report_exited` / `report_failed`: the daemon reported the agent.
 * - `fail`: the server gave up on the launch (offline at push, no ack in time, a store error).
 * - `lose`: the machine's daemon disconnected.
 * - `heal` / `vanish`: the daemon came back with the agent still running, or without it.
 */
export type SessionMove =
  | "reuse"
  | "dispatch"
  | "ack_ok"
  | "ack_error"
  | "ack_late"
  | "report_running"
  | "report_exited"
  | "report_failed"
  | "fail"
  | "lose"
  | "heal"
  | "vanish";

/** One row: in any of `from`, `move` takes the session to `to` (`"same"`: the state stays, the event is still recorded). */
export interface SessionTransition {
  readonly move: SessionMove;
  readonly from: readonly SessionStateName[];
  readonly to: SessionStateName | "same";
}

/**
 * The session state machine, as one table. A new session starts `pending`
 * (created by the launch, not by a move). Anything not in the table is refused
 * by `nextState`, the one guard every transition goes through.
 */
export const sessionTransitions: readonly SessionTransition[] = [
  { move: "reuse", from: ["exited", "failed"], to: "pending" },
  { move: "dispatch", from: ["pending"], to: "dispatched" },
  // `failed` too: the daemon came back without the agent (vanish), then ran the redelivered command.
  { move: "ack_ok", from: ["pending", "dispatched", "unknown", "failed"], to: "running" },
  // An acknowledgement after the agent's own report never moves it back.
  { move: "ack_ok", from: ["running", "exited"], to: "same" },
  { move: "ack_error", from: ["pending", "dispatched", "unknown"], to: "failed" },
  { move: "ack_error", from: ["running", "exited", "failed"], to: "same" },
  // The caller was told the launch failed: it stays failed (and its agent is stopped).
  { move: "ack_late", from: ["failed"], to: "same" },
  { move: "report_running", from: ["pending", "dispatched", "running", "unknown"], to: "running" },
  // Not from `failed`: a session whose launch was answered with an error (or whose agent the
  // daemon lost) ends there, with one terminal event, even when a stopped agent later exits 0.
  { move: "report_exited", from: ["pending", "dispatched", "running", "unknown"], to: "exited" },
  { move: "report_failed", from: ["pending", "dispatched", "running", "unknown"], to: "failed" },
  { move: "fail", from: ["pending", "dispatched", "running", "unknown"], to: "failed" },
  { move: "lose", from: ["dispatched", "running"], to: "unknown" },
  { move: "heal", from: ["unknown"], to: "running" },
  { move: "vanish", from: ["unknown", "running"], to: "failed" },
];

/** States a session does not leave on its own: streams end there, and only `reuse` starts it again. */
const terminalStates: ReadonlySet<SessionStateName> = new Set<SessionStateName>(["exited", "failed"]);

const index = new Map<SessionMove, Map<SessionStateName, SessionStateName>>();
for (const row of sessionTransitions) {
  const byState = index.get(row.move) ?? new Map<SessionStateName, SessionStateName>();
  index.set(row.move, byState);
  for (const from of row.from) {
    if (byState.has(from)) throw new Error(`session transition table: ${row.move} from ${from} is listed twice`);
    byState.set(from, row.to === "same" ? from : row.to);
  }
}

/** The state `move` takes a session in `from` to; undefined when the table refuses the move. */
export function nextState(from: SessionStateName, move: SessionMove): SessionStateName | undefined {
  return index.get(move)?.get(from);
}

/** Throws `failed_precondition` with `message` when the table refuses `move` from `from`. */
export function assertTransition(from: SessionStateName, move: SessionMove, message: string): SessionStateName {
  const to = nextState(from, move);
  if (to === undefined) throw new ConnectError(message, Code.FailedPrecondition);
  return to;
}

/** Whether a session in this state will not change again on its own. */
export function isTerminalState(state: SessionStateName): boolean {
  return terminalStates.has(state);
}

/** Whether an event ends a session's stream: the one that brought it to a terminal state. */
export function isTerminalEvent(record: Pick<SessionEventRecord, "type" | "state">): boolean {
  return (record.type === "exited" || record.type === "failed") && isTerminalState(record.state);
}
