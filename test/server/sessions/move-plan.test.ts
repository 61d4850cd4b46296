import { describe, expect, it } from "vitest";
import { ackPlan, moveWrite } from "../../../server/sessions/move-plan.js";
import type { SessionRecord, SessionStateName } from "../../../server/store/store.js";
import { session } from "../store/store-contract-fixtures.js";

const stored = (state: SessionStateName): SessionRecord => session({ sessionId: "s-1", machineId: "m-1", state });

describe("moveWrite", () => {
  it("guards the write with the state it was planned on and stamps the row and every event with the new state and time", () => {
    const write = moveWrite(stored("pending"), { move: "dispatch", patch: { pid: 3 }, events: [{ type: "dispatched" }, { type: "running", message: "m" }] }, "dispatched", 42);
    expect(write).toEqual({
      sessionId: "s-1",
      from: "pending",
      patch: { pid: 3, state: "dispatched", updatedAt: 42 },
      events: [
        { sessionId: "s-1", type: "dispatched", state: "dispatched", machineId: "m-1", acknowledgement: undefined, exitCode: undefined, message: "", now: 42 },
        { sessionId: "s-1", type: "running", state: "dispatched", machineId: "m-1", acknowledgement: undefined, exitCode: undefined, message: "m", now: 42 },
      ],
    });
  });

  it("stamps an event that names its own state with that state, the row with the move's", () => {
    const write = moveWrite(stored("pending"), { move: "ack_ok", patch: {}, events: [{ type: "dispatched", state: "dispatched" }, { type: "acknowledged" }] }, "running", 7);
    expect(write.patch.state).toBe("running");
    expect(write.events.map((e) => [e.type, e.state])).toEqual([
      ["dispatched", "dispatched"],
      ["acknowledged", "running"],
    ]);
  });
});

describe("ackPlan", () => {
  it("moves an ok acknowledgement with ack_ok and one acknowledged event carrying it", () => {
    const result = { status: "ok", payload: { pid: 7 } };
    expect(ackPlan(result)(stored("dispatched"))).toEqual({
      move: "ack_ok",
      patch: { acknowledgement: result, pid: 7, errorMessage: "" },
      events: [{ type: "acknowledged", acknowledgement: result, message: "" }],
    });
  });

  it("ends a live launch that an error acknowledgement fails with a failed event", () => {
    const result = { status: "error", payload: { error: { code: "spawn_failed", message: "no binary" } } };
    const plan = ackPlan(result);
    expect(plan(stored("dispatched")).events.map((e) => [e.type, e.message])).toEqual([
      ["acknowledged", "spawn_failed: no binary"],
      ["failed", "spawn_failed: no binary"],
    ]);
    // Already failed (the server gave up first): the acknowledgement is recorded, no second `failed`.
    expect(plan(stored("failed")).events.map((e) => e.type)).toEqual(["acknowledged"]);
  });

  it("writes the dispatched event first for a session still pending (the ack beat the dispatch's write), in state dispatched", () => {
    const ok = { status: "ok", payload: {} };
    const error = { status: "error", payload: { error: { code: "spawn_failed", message: "no binary" } } };
    expect(ackPlan(ok)(stored("pending")).events.map((e) => [e.type, e.state])).toEqual([
      ["dispatched", "dispatched"],
      ["acknowledged", undefined],
    ]);
    expect(ackPlan(error)(stored("pending")).events.map((e) => e.type)).toEqual(["dispatched", "acknowledged", "failed"]);
    // Dispatched already: nothing is written twice.
    expect(ackPlan(ok)(stored("dispatched")).events.map((e) => e.type)).toEqual(["acknowledged"]);
  });
});
