import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  assertTransition,
  isTerminalEvent,
  isTerminalState,
  nextState,
  type SessionMove,
  sessionTransitions,
} from "../../../server/sessions/session-transitions.js";
import type { SessionStateName } from "../../../server/store/store.js";

const states: readonly SessionStateName[] = ["pending", "dispatched", "running", "exited", "failed", "unknown"];
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
];

/**
 * The state machine written out again, (move, from) → to, so that any edit to
 * `sessionTransitions` fails here until this table is changed with it.
 */
const expected: Record<SessionMove, Partial<Record<SessionStateName, SessionStateName>>> = {
  reuse: { exited: "pending", failed: "pending" },
  dispatch: { pending: "dispatched" },
  ack_ok: { pending: "running", dispatched: "running", unknown: "running", failed: "running", running: "running", exited: "exited" },
  ack_error: { pending: "failed", dispatched: "failed", unknown: "failed", running: "running", exited: "exited", failed: "failed" },
  ack_late: { failed: "failed" },
  report_running: { pending: "running", dispatched: "running", running: "running", unknown: "running" },
  report_exited: { pending: "exited", dispatched: "exited", running: "exited", unknown: "exited" },
  report_failed: { pending: "failed", dispatched: "failed", running: "failed", unknown: "failed" },
  fail: { pending: "failed", dispatched: "failed", running: "failed", unknown: "failed" },
  lose: { dispatched: "unknown", running: "unknown" },
  heal: { unknown: "running" },
  vanish: { unknown: "failed", running: "failed" },
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
    const toPending = tableRows.filter((r) => r.to === "pending");
    expect(toPending.map((r) => [r.move, r.from])).toEqual([
      ["reuse", "exited"],
      ["reuse", "failed"],
    ]);
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

describe("isTerminalState", () => {
  it.each(states)("says whether %s is terminal", (state) => {
    expect(isTerminalState(state)).toBe(state === "exited" || state === "failed");
  });
});

describe("isTerminalEvent", () => {
  it("is true for an exited or failed event that left the session terminal", () => {
    expect(isTerminalEvent({ type: "exited", state: "exited" })).toBe(true);
    expect(isTerminalEvent({ type: "failed", state: "failed" })).toBe(true);
  });

  it("is false for events of other types, even in a terminal state", () => {
    for (const type of ["accepted", "dispatched", "acknowledged", "running", "unknown"]) {
      expect(isTerminalEvent({ type, state: "failed" })).toBe(false);
      expect(isTerminalEvent({ type, state: "exited" })).toBe(false);
    }
  });

  it("is false for an exited or failed event in a live state", () => {
    for (const state of ["pending", "dispatched", "running", "unknown"] as const) {
      expect(isTerminalEvent({ type: "exited", state })).toBe(false);
      expect(isTerminalEvent({ type: "failed", state })).toBe(false);
    }
  });
});
