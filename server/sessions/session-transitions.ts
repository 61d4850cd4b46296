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
 * - `request_stop`: StopWorkspaceSession recorded its stop on the session (who, when), before
 *   the daemon gets it; `withdraw_stop`: the daemon answered it had no agent to stop, so the
 *   request is cleared and the agent's own end is reported as what it was.
 * - `report_stopped`: the daemon reported the agent's end (exited or failed, with any code)
 *   while a stop request was recorded. The server's order decides, not the agent's: an end
 *   that lands after the stop was recorded is `stopped`, even if the agent ended on its own
 *   while the stop was on its way (the caller asked for the end and got it); one that landed
 *   before is `exited` / `failed` and the stop answers ALREADY_EXITED. Orphan stops (a late
 *   ok ack on a failed session, a reconnecting daemon's unknown agents) record no request:
 *   their sessions stay `failed`, as the caller was told.
 * - `message`: a guard only (nothing is written): the states whose agent takes a follow-up message.
 * - `await_approval`: the agent asked for a permission (a PERMISSION_REQUEST entry was stored);
 *   `approvals_settled`: no request of the session is pending any more. `awaiting_approval`
 *   is a running session waiting for an answer: every other move treats it as `running`
 *   (lose, the daemon's reports, stop, fail, vanish), except `report_running`, which would
 *   claim the agent runs on while it waits, and `heal` (from `unknown`: the session runs again,
 *   and waits again if a request is still pending).
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
  | "vanish"
  | "request_stop"
  | "withdraw_stop"
  | "report_stopped"
  | "message"
  | "await_approval"
  | "approvals_settled";

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
  // The states `reuse` starts from are the terminal ones (`isTerminalState` reads them here).
  { move: "reuse", from: ["exited", "failed", "stopped"], to: "pending" },
  { move: "dispatch", from: ["pending"], to: "dispatched" },
  // `failed` too: the daemon came back without the agent (vanish), then ran the redelivered command.
  { move: "ack_ok", from: ["pending", "dispatched", "unknown", "failed"], to: "running" },
  // An acknowledgement after the agent's own report never moves it back.
  { move: "ack_ok", from: ["running", "awaiting_approval", "exited", "stopped"], to: "same" },
  { move: "ack_error", from: ["pending", "dispatched", "unknown"], to: "failed" },
  { move: "ack_error", from: ["running", "awaiting_approval", "exited", "failed", "stopped"], to: "same" },
  // The caller was told the launch failed: it stays failed (and its agent is stopped).
  { move: "ack_late", from: ["failed"], to: "same" },
  { move: "report_running", from: ["pending", "dispatched", "running", "unknown"], to: "running" },
  // Not from `failed`: a session whose launch was answered with an error (or whose agent the
  // daemon lost) ends there, with one terminal event, even when a stopped agent later exits 0.
  { move: "report_exited", from: ["pending", "dispatched", "running", "awaiting_approval", "unknown"], to: "exited" },
  { move: "report_failed", from: ["pending", "dispatched", "running", "awaiting_approval", "unknown"], to: "failed" },
  { move: "fail", from: ["pending", "dispatched", "running", "awaiting_approval", "unknown"], to: "failed" },
  { move: "lose", from: ["dispatched", "running", "awaiting_approval"], to: "unknown" },
  { move: "heal", from: ["unknown"], to: "running" },
  { move: "vanish", from: ["unknown", "running", "awaiting_approval"], to: "failed" },
  // A stop is recorded only on a live session: one that already ended answers ALREADY_EXITED.
  { move: "request_stop", from: ["pending", "dispatched", "running", "awaiting_approval", "unknown"], to: "same" },
  { move: "withdraw_stop", from: ["pending", "dispatched", "running", "awaiting_approval", "unknown"], to: "same" },
  // Not from `failed`, like `report_exited`: an orphan's session stays failed.
  { move: "report_stopped", from: ["pending", "dispatched", "running", "awaiting_approval", "unknown"], to: "stopped" },
  { move: "message", from: ["running", "awaiting_approval"], to: "same" },
  // From `pending` and `dispatched` too: the agent's request can land before the server recorded
  // the push or the launch's acknowledgement (separate calls), which then keep it waiting
  // (`ack_ok` from awaiting_approval). A second request while one is pending records its own
  // AWAITING_APPROVAL event.
  { move: "await_approval", from: ["pending", "dispatched", "running"], to: "awaiting_approval" },
  { move: "await_approval", from: ["awaiting_approval"], to: "same" },
  { move: "approvals_settled", from: ["awaiting_approval"], to: "running" },
];

const index = new Map<SessionMove, Map<SessionStateName, SessionStateName>>();
for (const row of sessionTransitions) {
  const byState = index.get(row.move) ?? new Map<SessionStateName, SessionStateName>();
  index.set(row.move, byState);
  for (const from of row.from) {
    if (byState.has(from)) throw new Error(`session transition table: ${row.move} from ${from} is listed twice`);
    byState.set(from, row.to === "same" ? from : row.to);
  }
}

/** States a session does not leave on its own (streams end there): those `reuse` starts it again from. */
const terminalStates: ReadonlySet<SessionStateName> = new Set(
  sessionTransitions.filter((row) => row.move === "reuse").flatMap((row) => row.from),
);

/** Event types that bring a session to a terminal state. */
const terminalEventTypes: ReadonlySet<string> = new Set(["exited", "failed", "stopped"]);

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

/** The states `move` leaves from (in table order): what a query for the sessions a move may apply to asks for. */
export function statesFrom(move: SessionMove): SessionStateName[] {
  return [...(index.get(move)?.keys() ?? [])];
}

/** States of a live session: those a stop may be recorded on (everything but the terminal ones). */
export const liveStates: readonly SessionStateName[] = statesFrom("request_stop");

/** Whether a session in this state will not change again on its own. */
export function isTerminalState(state: SessionStateName): boolean {
  return terminalStates.has(state);
}

/** Whether an event ends a session's stream: the one that brought it to a terminal state. */
export function isTerminalEvent(record: Pick<SessionEventRecord, "type" | "state">): boolean {
  return terminalEventTypes.has(record.type) && isTerminalState(record.state);
}
