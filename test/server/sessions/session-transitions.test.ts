import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  assertTransition,
  isTerminalEvent,
  isTerminalState,
  liveStates,
  nextState,
  type SessionMove,
  sessionTransitions,
  statesFrom,
} from "../../../server/sessions/session-transitions.js";
import type { SessionStateName } from "../../../server/store/store.js";

const states: readonly SessionStateName[] = ["pending", "dispatched", "running", "exited", "failed", "unknown", "stopped", "awaiting_approval"];
const moves: readonly SessionMove[] = [
  "reuse",
  "dispatch",
  "ack_ok",
  "ack_error",
  "report_running",
  "report_exited",
  "report_failed",
  "fail",
  "lose",
  "heal",
  "vanish",
  "ack_late",
  "request_stop",
  "withdraw_stop",
  "report_stopped",
  "message",
  "await_approval",
  "approvals_settled",
];

/**
 * The state machine written out again, (move, from) → to, so that any edit to
 * `sessionTransitions` fails here until this table is changed with it.
 */
const expected: Record<SessionMove, Partial<Record<SessionStateName, SessionStateName>>> = {
  reuse: { exited: "pending", failed: "pending", stopped: "pending" },
  dispatch: { pending: "dispatched" },
  ack_ok: {
    pending: "running",
    dispatched: "running",
    unknown: "running",
    failed: "running",
    running: "running",
    awaiting_approval: "awaiting_approval",
    exited: "exited",
    stopped: "stopped",
  },
  ack_error: {
    pending: "failed",
    dispatched: "failed",
    unknown: "failed",
    running: "running",
    awaiting_approval: "awaiting_approval",
    exited: "exited",
    failed: "failed",
    stopped: "stopped",
  },
  ack_late: { failed: "failed" },
  report_running: { pending: "running", dispatched: "running", running: "running", unknown: "running" },
  report_exited: { pending: "exited", dispatched: "exited", running: "exited", awaiting_approval: "exited", unknown: "exited" },
  report_failed: { pending: "failed", dispatched: "failed", running: "failed", awaiting_approval: "failed", unknown: "failed" },
  fail: { pending: "failed", dispatched: "failed", running: "failed", awaiting_approval: "failed", unknown: "failed" },
  lose: { dispatched: "unknown", running: "unknown", awaiting_approval: "unknown" },
  heal: { unknown: "running" },
  vanish: { unknown: "failed", running: "failed", awaiting_approval: "failed" },
  request_stop: {
    pending: "pending",
    dispatched: "dispatched",
    running: "running",
    awaiting_approval: "awaiting_approval",
    unknown: "unknown",
  },
  withdraw_stop: {
    pending: "pending",
    dispatched: "dispatched",
    running: "running",
    awaiting_approval: "awaiting_approval",
    unknown: "unknown",
  },
  report_stopped: { pending: "stopped", dispatched: "stopped", running: "stopped", awaiting_approval: "stopped", unknown: "stopped" },
  message: { running: "running", awaiting_approval: "awaiting_approval" },
  await_approval: {
    pending: "awaiting_approval",
    dispatched: "awaiting_approval",
    running: "awaiting_approval",
    awaiting_approval: "awaiting_approval",
  },
  approvals_settled: { awaiting_approval: "running" },
};

const expectedRows = moves.flatMap((move) =>
  Object.entries(expected[move]).map(([from, to]) => ({ move, from: from as SessionStateName, to: to as SessionStateName })),
);
const tableRows = sessionTransitions.flatMap((row) =>
  row.from.map((from) => ({ move: row.move, from, to: row.to === "same" ? from : row.to })),
);
const refused = moves.flatMap((move) => states.filter((from) => expected[move][from] === undefined).map((from) => ({ move, from })));

describe("sessionTransitions", () => {
  it.each(tableRows)("$move from $from gives $to", ({ move, from, to }) => {
    expect(nextState(from, move)).toBe(to);
    expect(assertTransition(from, move, "refused")).toBe(to);
  });

  it.each(expectedRows)("takes $move from $from to $to, as written out in the test", ({ move, from, to }) => {
    expect(nextState(from, move)).toBe(to);
  });

  it("holds exactly the rows written out in the test, no more and no fewer", () => {
    const key = (r: { move: string; from: string; to: string }) => `${r.move} ${r.from} -> ${r.to}`;
    expect(tableRows.map(key).sort()).toEqual(expectedRows.map(key).sort());
  });

  it("lists each (move, from) pair once", () => {
    const pairs = tableRows.map((r) => `${r.move} ${r.from}`);
    expect(new Set(pairs).size).toBe(pairs.length);
  });

  it("names only known moves and states", () => {
    for (const row of sessionTransitions) {
      expect(moves).toContain(row.move);
      for (const from of row.from) expect(states).toContain(from);
      if (row.to !== "same") expect(states).toContain(row.to);
    }
  });
});

describe("nextState", () => {
  it.each(refused)("refuses $move from $from", ({ move, from }) => {
    expect(nextState(from, move)).toBeUndefined();
  });

  it("refuses a move the table does not know", () => {
    expect(nextState("pending", "teleport" as SessionMove)).toBeUndefined();
  });

  it("never starts a session again except by reuse, which only finished sessions allow", () => {
    const toPending = tableRows.filter((r) => r.to === "pending" && r.from !== "pending");
    expect(toPending.map((r) => [r.move, r.from])).toEqual([
      ["reuse", "exited"],
      ["reuse", "failed"],
      ["reuse", "stopped"],
    ]);
  });

  it("lets only a reported end with a stop recorded reach stopped", () => {
    expect(tableRows.filter((r) => r.to === "stopped" && r.from !== "stopped").map((r) => r.move)).toEqual(
      Array(5).fill("report_stopped"),
    );
  });

  it("never moves a failed session to stopped: an orphan stop keeps it failed", () => {
    for (const move of moves) expect(nextState("failed", move)).not.toBe("stopped");
  });

  it("records or withdraws a stop only on a live session, never changing its state", () => {
    for (const state of ["exited", "failed", "stopped"] as const) {
      expect(nextState(state, "request_stop")).toBeUndefined();
      expect(nextState(state, "withdraw_stop")).toBeUndefined();
    }
  });
});

describe("assertTransition", () => {
  it.each(refused)("throws failed_precondition with the message for $move from $from", ({ move, from }) => {
    let thrown: unknown;
    try {
      assertTransition(from, move, `cannot ${move} a ${from} session`);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConnectError);
    expect((thrown as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((thrown as ConnectError).rawMessage).toBe(`cannot ${move} a ${from} session`);
  });
});

describe("statesFrom", () => {
  it("lists the states a move leaves from, as the table has them", () => {
    expect(statesFrom("lose")).toEqual(["dispatched", "running", "awaiting_approval"]);
    expect(statesFrom("approvals_settled")).toEqual(["awaiting_approval"]);
    expect(statesFrom("teleport" as SessionMove)).toEqual([]);
  });

  it("gives the live states: every state but the terminal ones", () => {
    expect([...liveStates].sort()).toEqual(states.filter((s) => !isTerminalState(s)).sort());
  });
});

describe("awaiting_approval", () => {
  it("is entered from running on a pending request, and left for running once none is pending", () => {
    expect(nextState("running", "await_approval")).toBe("awaiting_approval");
    expect(nextState("awaiting_approval", "approvals_settled")).toBe("running");
  });

  it("takes a second request without leaving, and a request that lands before the launch's acknowledgement", () => {
    expect(nextState("awaiting_approval", "await_approval")).toBe("awaiting_approval");
    expect(nextState("dispatched", "await_approval")).toBe("awaiting_approval");
    expect(nextState("pending", "await_approval")).toBe("awaiting_approval");
    expect(nextState("awaiting_approval", "ack_ok")).toBe("awaiting_approval");
  });

  it("is never entered from a session offline or finished", () => {
    for (const state of ["unknown", "exited", "failed", "stopped"] as const) {
      expect(nextState(state, "await_approval")).toBeUndefined();
    }
  });

  it("behaves as running for every other move but the daemon's running report", () => {
    for (const move of moves) {
      if (move === "await_approval" || move === "approvals_settled" || move === "report_running") continue;
      const fromRunning = nextState("running", move);
      expect(nextState("awaiting_approval", move), move).toBe(fromRunning === "running" ? "awaiting_approval" : fromRunning);
    }
    expect(nextState("awaiting_approval", "report_running")).toBeUndefined();
    expect(isTerminalState("awaiting_approval")).toBe(false);
  });
});

describe("isTerminalState", () => {
  it.each(states)("says whether %s is terminal", (state) => {
    expect(isTerminalState(state)).toBe(state === "exited" || state === "failed" || state === "stopped");
  });
});

describe("isTerminalEvent", () => {
  it("is true for an exited or failed event that left the session terminal", () => {
    expect(isTerminalEvent({ type: "exited", state: "exited" })).toBe(true);
    expect(isTerminalEvent({ type: "failed", state: "failed" })).toBe(true);
    expect(isTerminalEvent({ type: "stopped", state: "stopped" })).toBe(true);
  });

  it("is false for events of other types, even in a terminal state", () => {
    for (const type of ["accepted", "dispatched", "acknowledged", "running", "unknown"]) {
      expect(isTerminalEvent({ type, state: "failed" })).toBe(false);
      expect(isTerminalEvent({ type, state: "exited" })).toBe(false);
      expect(isTerminalEvent({ type, state: "stopped" })).toBe(false);
    }
  });

  it("is false for an exited or failed event in a live state", () => {
    for (const state of ["pending", "dispatched", "running", "unknown", "awaiting_approval"] as const) {
      expect(isTerminalEvent({ type: "exited", state })).toBe(false);
      expect(isTerminalEvent({ type: "failed", state })).toBe(false);
      expect(isTerminalEvent({ type: "stopped", state })).toBe(false);
    }
  });
});
