import { Code, ConnectError } from "@connectrpc/connect";
import type { Acknowledgement, SessionMoveWrite, SessionPatch, SessionRecord, Store, TranscriptEntryRecord } from "../store/store.js";
import { createMoveQueue } from "./create-move-queue.js";
import { ackPlan, type MoveEvent, type MovedSession, type MovePlan, moveWrite } from "./move-plan.js";
import type { SessionEventBus } from "./create-session-event-bus.js";
import { nextState, type SessionMove, statesFrom } from "./session-transitions.js";

/**
 * Moves sessions through their states. Every move goes through the transition
 * table (`session-transitions.ts`): a move the table refuses writes nothing and
 * resolves undefined. A move that is allowed updates the session row and
 * appends its event(s) to the session's history, so streams, Get and List
 * always agree.
 */
export interface SessionLifecycle {
  /** The launch command is on the daemon's stream. `session` is tried as the stored one (no read; see `transitionBy`). */
  dispatched(session: SessionRecord): Promise<SessionRecord | undefined>;
  /**
   * The daemon acknowledged the launch (in time or late); `result` is the launch response built from it.
   * `session` is tried as the stored one, as with `dispatched`.
   */
  acknowledged(session: SessionRecord, result: Acknowledgement): Promise<SessionRecord | undefined>;
  /**
   * The daemon acknowledged the launch, and `record` writes the
   * acknowledgement together with its move: the move is planned on `known`
   * (undefined when the table refuses it there) and handed to `record` for
   * the same transaction (`Store.recordAck`'s `move`). A first
   * acknowledgement whose move was not written (the session had moved on
   * from `known`) is moved as `acknowledged` would, on the stored session.
   * Resolves with what `record` answered.
   */
  acknowledgedWith<R extends { first: boolean; moved?: MovedSession }>(
    known: SessionRecord,
    result: Acknowledgement,
    record: (move: SessionMoveWrite | undefined) => Promise<R | undefined>,
  ): Promise<R | undefined>;
  /** An `ok` acknowledgement that came after the caller was told `deadline_exceeded`: recorded, the session stays failed. */
  acknowledgedLate(session: SessionRecord, result: Acknowledgement): Promise<SessionRecord | undefined>;
  /** The server gave up on the launch (offline at push, no answer in time, a store error). */
  failed(session: SessionRecord, message: string): Promise<SessionRecord | undefined>;
  /** The daemon reported the agent's state. */
  reported(
    session: SessionRecord,
    report: { state: "running" | "exited" | "failed"; exitCode?: number; message: string; pid: number },
  ): Promise<SessionRecord | undefined>;
  /**
   * StopWorkspaceSession records its stop (who asked, and now) before the
   * daemon gets it: an end reported from then on is `stopped`. Undefined when
   * the session has already ended (nothing is recorded).
   */
  stopRequested(session: SessionRecord, stoppedBy: string): Promise<SessionRecord | undefined>;
  /**
   * The daemon had no agent to stop: clears the stop recorded at `stopTime`
   * (not a later one), so the agent's own end is reported as it was.
   */
  stopWithdrawn(session: SessionRecord, stopTime: number): Promise<SessionRecord | undefined>;
  /** The machine's daemon disconnected: its live sessions become unknown. */
  machineOffline(machineId: string): Promise<void>;
  /**
   * The machine's daemon (re)subscribed reporting the sessions it still runs,
   * and those whose agent ended with the report still on its way (`ended`):
   * its other acknowledged live sessions are gone; those wait for their
   * report, and one whose launch is still waiting for its acknowledgement
   * (its stream went down with a replica) for that or its deadline.
   */
  machineOnline(
    machineId: string,
    running: readonly { sessionId: string; pid: number; agentSessionId: string }[],
    ended?: readonly string[],
  ): Promise<void>;
  /**
   * The agent asked for a permission: a running (or not yet acknowledged) session waits
   * for the answer (`awaiting_approval`), its event carrying the
   * PERMISSION_REQUEST entry and `message`. Undefined when the table refuses
   * it (nothing recorded).
   */
  awaitingApproval(sessionId: string, entry: TranscriptEntryRecord, message: string): Promise<SessionRecord | undefined>;
  /**
   * A request was decided: the session runs again (a RUNNING event with
   * `message`) unless `stillPending` says another request still waits; it is
   * asked in the session's move queue, so a request stored meanwhile is seen.
   */
  approvalsSettled(sessionId: string, message: string, stillPending: () => Promise<boolean>): Promise<SessionRecord | undefined>;
}

export interface SessionLifecycleOptions {
  store: Store;
  events: SessionEventBus;
  /** Clock, in Unix milliseconds. Default `Date.now`. */
  now?: () => number;
}

/** Reads and guarded writes of one move before it gives up: each failed write means another replica moved the session. */
const maxMoveAttempts = 8;

const reportMoves = { exited: "report_exited", failed: "report_failed" } as const;

export function createSessionLifecycle(options: SessionLifecycleOptions): SessionLifecycle {
  const { store, events } = options;
  const now = options.now ?? Date.now;
  /** Moves of one session run one after another, with the copy this process last wrote. */
  const queue = createMoveQueue();

  /**
   * The one guard: reads the session's current state, asks the table, and
   * only then writes the row and the events, in one transaction that holds
   * only while the state is still the one read (`store.moveSession`): two
   * moves never both pass the guard on the same stored state (an exit and a
   * late ack landing together would leave the session running), on one
   * replica or several, and a replica that dies mid-move leaves no row
   * without its event. Undefined when refused. Moves of one session are
   * queued in this process, so they rarely have to be decided again.
   */
  function transition(
    sessionId: string,
    move: SessionMove,
    patch: Omit<SessionPatch, "state" | "updatedAt">,
    moveEvents: (from: SessionRecord) => MoveEvent[],
    known?: SessionRecord,
  ): Promise<SessionRecord | undefined> {
    return transitionBy(sessionId, (current) => ({ move, patch, events: moveEvents(current) }), known);
  }

  /** What a move writes, decided on the session as stored (read in the move queue, so it may read the store too). */
  type Planner = (current: SessionRecord) => MovePlan | undefined | Promise<MovePlan | undefined>;

  /**
   * `known`: the caller's fresh copy of the session, tried first instead of a
   * read. Only for moves whose plan reads nothing but the state (dispatch, the
   * ack): the write holds only while the stored state is the one planned on,
   * so a stale copy costs one refused write and a read, never a wrong move.
   */
  function transitionBy(sessionId: string, plan: Planner, known?: SessionRecord): Promise<SessionRecord | undefined> {
    return queue.run(sessionId, () => applyTransition(sessionId, plan, known && queue.newest(known)));
  }

  async function applyTransition(sessionId: string, plan: Planner, known: SessionRecord | undefined): Promise<SessionRecord | undefined> {
    let guess = known?.sessionId === sessionId ? known : undefined;
    for (let attempt = 1; ; attempt++) {
      const current = guess ?? (await store.getSessionById(sessionId));
      const guessed = guess !== undefined;
      guess = undefined;
      if (current === undefined) return undefined;
      const planned = await plan(current);
      const state = planned === undefined ? undefined : nextState(current.state, planned.move);
      if (planned === undefined || state === undefined) {
        // Refused on the caller's copy: decide again on the stored session.
        if (guessed) continue;
        return undefined;
      }
      const moved = await store.moveSession(moveWrite(current, planned, state, now()));
      if (moved !== undefined) return published(moved);
      // Another replica moved the session between our read and our write: decide again on what it did.
      if (attempt >= maxMoveAttempts) {
        throw new ConnectError(`session ${sessionId} kept changing while it was being moved (${planned.move})`, Code.Aborted);
      }
    }
  }

  /** A written move's events go to the streams; its session is the answer. */
  function published(moved: MovedSession): SessionRecord {
    queue.wrote(moved.session);
    for (const record of moved.events) events.publish(record);
    return moved.session;
  }

  return {
    dispatched(session) {
      return transition(session.sessionId, "dispatch", {}, () => [{ type: "dispatched" }], session);
    },

    acknowledged(session, result) {
      return transitionBy(session.sessionId, ackPlan(result), session);
    },

    acknowledgedWith(known, result, record) {
      const plan = ackPlan(result);
      return queue.run(known.sessionId, async () => {
        const current = queue.newest(known);
        const planned = plan(current);
        const state = nextState(current.state, planned.move);
        const recorded = await record(state === undefined ? undefined : moveWrite(current, planned, state, now()));
        if (recorded === undefined || !recorded.first) return recorded;
        if (recorded.moved) published(recorded.moved);
        // Recorded, but the session had moved on from the copy: decide the move on the stored session.
        else await applyTransition(known.sessionId, plan, undefined);
        return recorded;
      });
    },

    acknowledgedLate(session, result) {
      const pid = typeof result.payload.pid === "number" ? { pid: result.payload.pid } : {};
      const message = "acknowledged after the launch deadline; stopping the agent";
      return transition(session.sessionId, "ack_late", pid, () => [{ type: "acknowledged", acknowledgement: result, message }]);
    },

    failed(session, message) {
      return transition(session.sessionId, "fail", { errorMessage: message }, () => [{ type: "failed", message }]);
    },

    reported(session, report) {
      if (report.state === "running") {
        return transition(session.sessionId, "report_running", report.pid ? { pid: report.pid } : {}, () => [
          { type: "running", message: report.message },
        ]);
      }
      const ended = report.state;
      const code = report.exitCode === undefined ? {} : { exitCode: report.exitCode };
      return transitionBy(session.sessionId, (current) => {
        if (current.stoppedBy) {
          // A stop is pending: whatever ended the agent, the session ends stopped.
          const message = `stopped by ${current.stoppedBy}${report.message ? `; ${report.message}` : ""}`;
          return { move: "report_stopped", patch: { ...code, pid: 0 }, events: [{ type: "stopped", ...code, message }] };
        }
        const patch = ended === "exited" ? { ...code, pid: 0 } : { ...code, errorMessage: report.message, pid: 0 };
        return { move: reportMoves[ended], patch, events: [{ type: ended, ...code, message: report.message }] };
      });
    },

    stopRequested(session, stoppedBy) {
      return transition(session.sessionId, "request_stop", { stoppedBy, stopTime: now() }, () => []);
    },

    stopWithdrawn(session, stopTime) {
      return transitionBy(session.sessionId, (current) =>
        current.stopTime === stopTime ? { move: "withdraw_stop", patch: { stoppedBy: "", stopTime: 0 }, events: [] } : undefined,
      );
    },

    async machineOffline(machineId) {
      const message = `machine ${machineId} went offline`;
      for (const session of await store.listSessionsOnMachine(machineId, statesFrom("lose"))) {
        await transition(session.sessionId, "lose", {}, () => [{ type: "unknown", message }]);
      }
    },

    async machineOnline(machineId, running, ended = []) {
      const alive = new Map(running.map((r) => [r.sessionId, r]));
      const reporting = new Set(ended);
      const gone = "the agent was gone when the daemon reconnected";
      for (const session of await store.listSessionsOnMachine(machineId, statesFrom("vanish"))) {
        const r = alive.get(session.sessionId);
        // Not lost: its end is on its way, or its launch is not yet acknowledged (the ack or the deadline settles it).
        if (r === undefined && (reporting.has(session.sessionId) || session.acknowledgement === undefined)) continue;
        if (r === undefined) {
          await transition(session.sessionId, "vanish", { errorMessage: gone }, () => [{ type: "failed", message: gone }]);
        } else if (nextState(session.state, "heal") !== undefined) {
          await transition(session.sessionId, "heal", { pid: r.pid || session.pid }, () => [
            { type: "running", message: "daemon reconnected" },
          ]);
        }
      }
    },

    awaitingApproval(sessionId, entry, message) {
      return transition(sessionId, "await_approval", {}, () => [{ type: "awaiting_approval", entry, message }]);
    },

    approvalsSettled(sessionId, message, stillPending) {
      return transitionBy(sessionId, async (current) => {
        if (nextState(current.state, "approvals_settled") === undefined || (await stillPending())) return undefined;
        return { move: "approvals_settled", patch: {}, events: [{ type: "running", message }] };
      });
    },
  };
}
