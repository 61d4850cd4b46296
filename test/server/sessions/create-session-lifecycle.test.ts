import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionRecord, SessionStateName } from "../../../server/store/store.js";
import { session } from "../store/store-contract-fixtures.js";
import { historyOf, moveTime, openSessionRoom, type SessionRoom, storeSession } from "./session-fixtures.js";

let room: SessionRoom;
beforeEach(async () => {
  room = await openSessionRoom();
});
afterEach(async () => {
  await room.store.close();
});

const inState = (state: SessionStateName, init: Partial<SessionRecord> = {}) =>
  storeSession(room.store, { sessionId: "s-1", state, provider: "claude_code", model: "opus", pid: 11, ...init });

/** The session as stored now. */
const row = (sessionId = "s-1") => room.store.getSessionById(sessionId);

/** Asserts that a refused move left the row and the history as they were. */
async function expectUnchanged(before: SessionRecord, result: Promise<SessionRecord | undefined>) {
  expect(await result).toBeUndefined();
  expect(await row(before.sessionId)).toEqual(before);
  expect(await historyOf(room.store, before.sessionId)).toEqual([]);
}

const okAck = {
  status: "ok",
  payload: {
    session_id: "s-1",
    agent_session_id: "agent-1",
    provider: "codex",
    model: "gpt-5",
    work_dir: "/w/ws-1",
    branch: "feature-x",
    pid: 42,
  },
};
const errorAck = { status: "error", payload: { session_id: "s-1", error: { code: "binary_missing", message: "claude not found" } } };

describe("createSessionLifecycle", () => {
  describe("dispatched", () => {
    it("moves a pending session to dispatched with one event", async () => {
      const s = await inState("pending");
      const updated = await room.lifecycle.dispatched(s);
      expect(updated).toEqual({ ...s, state: "dispatched", updatedAt: moveTime });
      expect(await row()).toEqual(updated);
      expect(await room.store.listSessionEvents("s-1", 0)).toEqual([
        {
          sessionId: "s-1",
          sequence: 1,
          type: "dispatched",
          state: "dispatched",
          machineId: "m-1",
          acknowledgement: undefined,
          exitCode: undefined,
          message: "",
          time: moveTime,
        },
      ]);
    });

    it("refuses a second dispatch and writes nothing", async () => {
      const s = await inState("pending");
      await room.lifecycle.dispatched(s);
      const after = (await row())!;
      expect(await room.lifecycle.dispatched(s)).toBeUndefined();
      expect(await row()).toEqual(after);
      expect(await historyOf(room.store, "s-1")).toEqual([[1, "dispatched", "dispatched"]]);
    });

    it("reads the stored state, not the one of the record it is given", async () => {
      const s = await inState("exited");
      await expectUnchanged(s, room.lifecycle.dispatched({ ...s, state: "pending" }));
    });

    it("answers undefined for a session that does not exist", async () => {
      expect(await room.lifecycle.dispatched(session({ sessionId: "ghost" }))).toBeUndefined();
      expect(await historyOf(room.store, "ghost")).toEqual([]);
    });

    it("applies concurrent moves of one session one after another", async () => {
      const s = await inState("pending");
      const results = await Promise.all([room.lifecycle.dispatched(s), room.lifecycle.dispatched(s)]);
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      expect(await historyOf(room.store, "s-1")).toEqual([[1, "dispatched", "dispatched"]]);
    });
  });

  describe("acknowledged", () => {
    it("records an ok acknowledgement: running, the daemon's fields, and an acknowledged event", async () => {
      const s = await inState("dispatched");
      const updated = await room.lifecycle.acknowledged(s, okAck);
      expect(updated).toEqual({
        ...s,
        state: "running",
        agentSessionId: "agent-1",
        provider: "codex",
        model: "gpt-5",
        workDir: "/w/ws-1",
        branch: "feature-x",
        pid: 42,
        errorMessage: "",
        acknowledgement: okAck,
        updatedAt: moveTime,
      });
      expect(await row()).toEqual(updated);
      const events = await room.store.listSessionEvents("s-1", 0);
      expect(events).toMatchObject([{ sequence: 1, type: "acknowledged", state: "running", acknowledgement: okAck, message: "" }]);
    });

    it("keeps the stored fields the acknowledgement does not report", async () => {
      const s = await inState("dispatched", { branch: "b-1" });
      const updated = await room.lifecycle.acknowledged(s, { status: "ok", payload: { pid: "not a number", model: 5 } });
      expect(updated).toMatchObject({ state: "running", provider: "claude_code", model: "opus", pid: 11, branch: "b-1" });
    });

    it("fails the launch on an error acknowledgement: acknowledged, then failed, with the daemon's error", async () => {
      const s = await inState("dispatched");
      const updated = await room.lifecycle.acknowledged(s, errorAck);
      expect(updated).toMatchObject({ state: "failed", errorMessage: "binary_missing: claude not found", acknowledgement: errorAck });
      expect(await row()).toEqual(updated);
      expect(await room.store.listSessionEvents("s-1", 0)).toMatchObject([
        { sequence: 1, type: "acknowledged", state: "failed", acknowledgement: errorAck, message: "binary_missing: claude not found" },
        { sequence: 2, type: "failed", state: "failed", acknowledgement: undefined, message: "binary_missing: claude not found" },
      ]);
    });

    it("brings a session the deadline failed back to running on a late ok", async () => {
      const s = await inState("failed", { errorMessage: "machine m-1 did not acknowledge the launch within 50 ms" });
      const updated = await room.lifecycle.acknowledged(s, okAck);
      expect(updated).toMatchObject({ state: "running", pid: 42, errorMessage: "", acknowledgement: okAck });
      expect(await historyOf(room.store, "s-1")).toEqual([[1, "acknowledged", "running"]]);
    });

    it("records a late error on a failed session without a second failed event", async () => {
      const s = await inState("failed");
      expect(await room.lifecycle.acknowledged(s, errorAck)).toMatchObject({ state: "failed", acknowledgement: errorAck });
      expect(await historyOf(room.store, "s-1")).toEqual([[1, "acknowledged", "failed"]]);
    });

    it.each(["running", "exited"] as const)("records an acknowledgement after the agent's own report without moving a session that is %s", async (state) => {
      const s = await inState(state);
      expect(await room.lifecycle.acknowledged(s, okAck)).toMatchObject({ state, acknowledgement: okAck });
      expect(await room.lifecycle.acknowledged(s, errorAck)).toMatchObject({ state, acknowledgement: errorAck });
      expect(await historyOf(room.store, "s-1")).toEqual([
        [1, "acknowledged", state],
        [2, "acknowledged", state],
      ]);
    });
  });

  describe("failed", () => {
    it.each(["pending", "dispatched", "running", "unknown"] as const)("fails a session that is %s with the reason", async (state) => {
      const s = await inState(state);
      expect(await room.lifecycle.failed(s, "no answer")).toEqual({ ...s, state: "failed", errorMessage: "no answer", updatedAt: moveTime });
      expect(await room.store.listSessionEvents("s-1", 0)).toMatchObject([{ sequence: 1, type: "failed", state: "failed", message: "no answer" }]);
    });

    it.each(["exited", "failed"] as const)("refuses to fail a session that is %s and writes nothing", async (state) => {
      const s = await inState(state);
      await expectUnchanged(s, room.lifecycle.failed(s, "too late"));
    });
  });

  describe("reported", () => {
    it("records running with the agent's pid", async () => {
      const s = await inState("dispatched");
      expect(await room.lifecycle.reported(s, { state: "running", message: "started", pid: 99 })).toMatchObject({ state: "running", pid: 99 });
      expect(await room.store.listSessionEvents("s-1", 0)).toMatchObject([{ sequence: 1, type: "running", state: "running", message: "started" }]);
    });

    it("keeps the stored pid when a running report has none", async () => {
      const s = await inState("unknown");
      expect(await room.lifecycle.reported(s, { state: "running", message: "", pid: 0 })).toMatchObject({ state: "running", pid: 11 });
    });

    it("records an exit with its code and clears the pid", async () => {
      const s = await inState("running");
      const updated = await room.lifecycle.reported(s, { state: "exited", exitCode: 0, message: "done", pid: 0 });
      expect(updated).toMatchObject({ state: "exited", exitCode: 0, pid: 0, errorMessage: "" });
      expect(await room.store.listSessionEvents("s-1", 0)).toMatchObject([{ sequence: 1, type: "exited", state: "exited", exitCode: 0, message: "done" }]);
    });

    it("keeps a failed session failed when its stopped agent exits: the caller was told it failed", async () => {
      const s = await inState("failed", { errorMessage: "machine m-1 did not acknowledge the launch within 5000 ms" });
      await expectUnchanged(s, room.lifecycle.reported(s, { state: "exited", exitCode: 0, message: "", pid: 0 }));
    });

    it("records a failure with its message and code", async () => {
      const s = await inState("running");
      const updated = await room.lifecycle.reported(s, { state: "failed", exitCode: 1, message: "stderr tail", pid: 0 });
      expect(updated).toMatchObject({ state: "failed", exitCode: 1, errorMessage: "stderr tail", pid: 0 });
      expect(await historyOf(room.store, "s-1")).toEqual([[1, "failed", "failed"]]);
    });

    it("leaves the exit code unset for a failure without one", async () => {
      const s = await inState("running");
      expect((await room.lifecycle.reported(s, { state: "failed", message: "killed", pid: 0 }))?.exitCode).toBeUndefined();
    });

    it.each([
      ["running", "exited"],
      ["running", "failed"],
      ["exited", "exited"],
      ["failed", "failed"],
    ] as const)("refuses a %s report on a session that is %s and writes nothing", async (state, from) => {
      const s = await inState(from);
      await expectUnchanged(s, room.lifecycle.reported(s, { state, exitCode: 2, message: "late", pid: 5 }));
    });

    it("never leaves an exited session running when its exit and a late ack land together", async () => {
      const s = await inState("dispatched");
      await Promise.all([
        room.lifecycle.reported(s, { state: "exited", exitCode: 0, message: "", pid: 0 }),
        room.lifecycle.acknowledged(s, okAck),
      ]);
      expect((await row())?.state).toBe("exited");
    });
  });

  describe("stopRequested", () => {
    it.each(["pending", "dispatched", "running", "unknown"] as const)(
      "records who asked and when on a %s session, without an event or a change of state",
      async (state) => {
        const s = await inState(state);
        const updated = await room.lifecycle.stopRequested(s, "tok-1");
        expect(updated).toMatchObject({ state, stoppedBy: "tok-1", stopTime: moveTime });
        expect(await row()).toEqual(updated);
        expect(await historyOf(room.store, "s-1")).toEqual([]);
      },
    );

    it.each(["exited", "failed", "stopped"] as const)("refuses a %s session and writes nothing", async (state) => {
      const s = await inState(state);
      await expectUnchanged(s, room.lifecycle.stopRequested(s, "tok-1"));
    });
  });

  describe("stopWithdrawn", () => {
    it("clears the stop it names, so the agent's own end is an exit", async () => {
      const s = await inState("running", { stoppedBy: "tok-1", stopTime: 42 });
      expect(await room.lifecycle.stopWithdrawn(s, 42)).toMatchObject({ state: "running", stoppedBy: "", stopTime: 0 });
      expect(await room.lifecycle.reported(s, { state: "exited", exitCode: 0, message: "", pid: 0 })).toMatchObject({ state: "exited" });
    });

    it("leaves a later stop alone", async () => {
      const s = await inState("running", { stoppedBy: "tok-2", stopTime: 43 });
      await expectUnchanged(s, room.lifecycle.stopWithdrawn(s, 42));
    });
  });

  describe("reported, with a stop recorded", () => {
    it("ends an exit stopped, keeping its code and who stopped it, with one stopped event", async () => {
      const s = await inState("running", { stoppedBy: "tok-1", stopTime: 42 });
      const updated = await room.lifecycle.reported(s, { state: "exited", exitCode: 143, message: "", pid: 0 });
      expect(updated).toMatchObject({ state: "stopped", exitCode: 143, pid: 0, stoppedBy: "tok-1", stopTime: 42, errorMessage: "" });
      expect(await room.store.listSessionEvents("s-1", 0)).toMatchObject([
        { sequence: 1, type: "stopped", state: "stopped", exitCode: 143, message: "stopped by tok-1" },
      ]);
    });

    it("ends a failure (the agent killed by the stop's signal) stopped, with no error message", async () => {
      const s = await inState("running", { stoppedBy: "tok-1", stopTime: 42 });
      const message = "agent was killed by SIGTERM after a stop request";
      const updated = await room.lifecycle.reported(s, { state: "failed", message, pid: 0 });
      expect(updated).toMatchObject({ state: "stopped", errorMessage: "", exitCode: undefined });
      expect(await room.store.listSessionEvents("s-1", 0)).toMatchObject([{ type: "stopped", message: `stopped by tok-1; ${message}` }]);
    });

    it("ends stopped an agent that exited on its own while the stop was on its way", async () => {
      const s = await inState("running");
      await room.lifecycle.stopRequested(s, "tok-1");
      expect(await room.lifecycle.reported(s, { state: "exited", exitCode: 0, message: "", pid: 0 })).toMatchObject({ state: "stopped" });
    });

    it("keeps a failed session failed: an orphan's stop records nothing and its end is refused", async () => {
      const s = await inState("failed", { errorMessage: "acknowledged after the launch deadline" });
      await expectUnchanged(s, room.lifecycle.stopRequested(s, "system"));
      await expectUnchanged(s, room.lifecycle.reported(s, { state: "exited", exitCode: 0, message: "", pid: 0 }));
    });

    it("refuses any report on a stopped session", async () => {
      const s = await inState("stopped", { stoppedBy: "tok-1", stopTime: 42 });
      for (const state of ["running", "exited", "failed"] as const) {
        await expectUnchanged(s, room.lifecycle.reported(s, { state, exitCode: 0, message: "late", pid: 5 }));
      }
    });
  });

  describe("machineOffline", () => {
    it("makes the machine's dispatched and running sessions unknown, and nothing else", async () => {
      await storeSession(room.store, { sessionId: "s-dispatched", state: "dispatched" });
      await storeSession(room.store, { sessionId: "s-running", state: "running" });
      const untouched = [
        await storeSession(room.store, { sessionId: "s-pending", state: "pending" }),
        await storeSession(room.store, { sessionId: "s-exited", state: "exited" }),
        await storeSession(room.store, { sessionId: "s-failed", state: "failed" }),
        await storeSession(room.store, { sessionId: "s-elsewhere", state: "running", machineId: "m-2" }),
      ];
      await room.lifecycle.machineOffline("m-1");
      for (const id of ["s-dispatched", "s-running"]) {
        expect((await row(id))?.state).toBe("unknown");
        expect(await room.store.listSessionEvents(id, 0)).toMatchObject([{ sequence: 1, type: "unknown", state: "unknown", message: "machine m-1 went offline" }]);
      }
      for (const s of untouched) {
        expect(await row(s.sessionId)).toEqual(s);
        expect(await historyOf(room.store, s.sessionId)).toEqual([]);
      }
    });
  });

  describe("machineOnline", () => {
    it("heals an unknown session the daemon still runs, with the pid it reports", async () => {
      await storeSession(room.store, { sessionId: "s-1", state: "unknown", pid: 11 });
      await room.lifecycle.machineOnline("m-1", [{ sessionId: "s-1", pid: 77, agentSessionId: "agent-1" }]);
      expect(await row()).toMatchObject({ state: "running", pid: 77 });
      expect(await room.store.listSessionEvents("s-1", 0)).toMatchObject([{ sequence: 1, type: "running", state: "running", message: "daemon reconnected" }]);
    });

    it("keeps the stored pid when the daemon reports none", async () => {
      await storeSession(room.store, { sessionId: "s-1", state: "unknown", pid: 11 });
      await room.lifecycle.machineOnline("m-1", [{ sessionId: "s-1", pid: 0, agentSessionId: "" }]);
      expect(await row()).toMatchObject({ state: "running", pid: 11 });
    });

    it("fails the acknowledged unknown and running sessions the daemon no longer runs", async () => {
      await storeSession(room.store, { sessionId: "s-unknown", state: "unknown", acknowledgement: okAck });
      await storeSession(room.store, { sessionId: "s-running", state: "running", acknowledgement: okAck });
      await room.lifecycle.machineOnline("m-1", []);
      const gone = "the agent was gone when the daemon reconnected";
      for (const id of ["s-unknown", "s-running"]) {
        expect(await row(id)).toMatchObject({ state: "failed", errorMessage: gone });
        expect(await room.store.listSessionEvents(id, 0)).toMatchObject([{ sequence: 1, type: "failed", state: "failed", message: gone }]);
      }
    });

    it("leaves alone a running session the daemon still runs, and the sessions of other machines and states", async () => {
      const untouched = [
        await storeSession(room.store, { sessionId: "s-running", state: "running" }),
        await storeSession(room.store, { sessionId: "s-dispatched", state: "dispatched" }),
        await storeSession(room.store, { sessionId: "s-exited", state: "exited" }),
        await storeSession(room.store, { sessionId: "s-elsewhere", state: "unknown", machineId: "m-2" }),
      ];
      await room.lifecycle.machineOnline("m-1", [{ sessionId: "s-running", pid: 11, agentSessionId: "" }]);
      for (const s of untouched) {
        expect(await row(s.sessionId)).toEqual(s);
        expect(await historyOf(room.store, s.sessionId)).toEqual([]);
      }
    });
  });
});
