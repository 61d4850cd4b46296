import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { Store } from "../../../server/store/store.js";
import { command, event, expectCode, launchCommand, session } from "./store-contract-fixtures.js";

/** Contract cases for session events, commands and their acknowledgements, and idempotency keys. */
export function describeEventsCommandsKeys(getStore: () => Store): void {
  describe("session events", () => {
    it("numbers events 1..n without gaps under concurrent appends", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      await store.createSession(session({ sessionId: "s-2" }));
      const appended = await Promise.all(
        Array.from({ length: 60 }, (_, i) => store.appendSessionEvent(event(i % 2 ? "s-2" : "s-1", { message: `e${i}` }))),
      );
      for (const id of ["s-1", "s-2"]) {
        const sequences = appended.filter((e) => e.sessionId === id).map((e) => e.sequence);
        expect([...sequences].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        const listed = await store.listSessionEvents(id, 0);
        expect(listed.map((e) => e.sequence)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      }
    });

    it("stores every field and lists the events after a sequence", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      const first = await store.appendSessionEvent(event("s-1"));
      expect(first).toEqual({
        sessionId: "s-1",
        sequence: 1,
        type: "accepted",
        state: "pending",
        machineId: "m-1",
        acknowledgement: undefined,
        exitCode: undefined,
        message: "",
        time: 2000,
      });
      const exited = await store.appendSessionEvent(
        event("s-1", { type: "exited", state: "exited", exitCode: 0, message: "done", acknowledgement: { status: "ok", payload: { pid: 7 } }, now: 3000 }),
      );
      expect(exited.sequence).toBe(2);
      expect(await store.listSessionEvents("s-1", 0)).toEqual([first, exited]);
      expect(await store.listSessionEvents("s-1", 1)).toEqual([exited]);
      expect(await store.listSessionEvents("s-1", 2)).toEqual([]);
    });

    it("refuses an event for a missing session with failed_precondition", async () => {
      await expectCode(getStore().appendSessionEvent(event("ghost")), Code.FailedPrecondition);
    });
  });

  describe("commands", () => {
    it("records the first acknowledgement and treats a repeat as harmless", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      await store.createCommand(command("c-1", { deadlineAt: 15_010 }));
      expect(await store.getCommand("c-1")).toEqual({
        commandId: "c-1",
        machineId: "m-1",
        sessionId: "s-1",
        kind: "launch",
        command: launchCommand("c-1"),
        deadlineAt: 15_010,
        createdAt: 10,
        ackStatus: "",
        ackPayload: undefined,
        ackedAt: undefined,
      });
      const first = await store.recordAck({ commandId: "c-1", machineId: "m-1", status: "ok", payload: { a: 1 }, now: 20 });
      expect(first?.first).toBe(true);
      expect(first?.command).toMatchObject({ ackStatus: "ok", ackPayload: { a: 1 }, ackedAt: 20 });
      const repeat = await store.recordAck({ commandId: "c-1", machineId: "m-1", status: "error", payload: {}, now: 30 });
      expect(repeat).toEqual({ command: first?.command, first: false });
      expect(await store.getCommand("c-1")).toEqual(first?.command);
    });

    it("writes the first acknowledgement and its session's move in one transaction", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      await store.createCommand(command("c-1"));
      const ack = { status: "ok", payload: { pid: 7 } };
      const move = {
        sessionId: "s-1",
        from: "pending" as const,
        patch: { state: "running" as const, pid: 7, acknowledgement: ack, updatedAt: 20 },
        events: [{ ...event("s-1"), type: "acknowledged", state: "running" as const, acknowledgement: ack, now: 20 }],
      };
      const recorded = await store.recordAck({ commandId: "c-1", machineId: "m-1", ...ack, now: 20, move });
      expect(recorded).toMatchObject({ first: true, command: { ackStatus: "ok" }, moved: { session: { state: "running", pid: 7 } } });
      expect(recorded?.moved?.events.map((e) => [e.sequence, e.type])).toEqual([[1, "acknowledged"]]);
      expect(await store.getSessionById("s-1")).toMatchObject({ state: "running", pid: 7, acknowledgement: ack, updatedAt: 20 });
      // A repeat records nothing and moves nothing.
      const repeat = await store.recordAck({ commandId: "c-1", machineId: "m-1", status: "error", payload: {}, now: 30, move: { ...move, from: "running" } });
      expect(repeat).toEqual({ command: recorded?.command, first: false });
      expect(await store.listSessionEvents("s-1", 0)).toHaveLength(1);
    });

    it("records the acknowledgement but not a move planned on a state the session has left", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1", state: "failed" }));
      await store.createSession(session({ sessionId: "s-2" }));
      await store.createCommand(command("c-1"));
      await store.createCommand(command("c-2"));
      const patch = { state: "running" as const, updatedAt: 20 };
      const stale = await store.recordAck({
        commandId: "c-1",
        machineId: "m-1",
        status: "ok",
        payload: {},
        now: 20,
        move: { sessionId: "s-1", from: "pending", patch, events: [{ ...event("s-1"), type: "acknowledged", state: "running" }] },
      });
      expect(stale).toMatchObject({ first: true, command: { ackStatus: "ok" } });
      expect(stale?.moved).toBeUndefined();
      expect(await store.getSessionById("s-1")).toMatchObject({ state: "failed" });
      expect(await store.listSessionEvents("s-1", 0)).toEqual([]);
      // A move of another session than the command's is not written either.
      const other = await store.recordAck({
        commandId: "c-2",
        machineId: "m-1",
        status: "ok",
        payload: {},
        now: 20,
        move: { sessionId: "s-2", from: "pending", patch, events: [] },
      });
      expect(other?.moved).toBeUndefined();
      expect(await store.getSessionById("s-2")).toMatchObject({ state: "pending" });
    });

    it("ignores an acknowledgement for an unknown command or another machine", async () => {
      const store = getStore();
      await store.createMachine({ machineId: "m-2", workspaceId: "ws-1", makeDefault: false, now: 1 });
      await store.createSession(session({ sessionId: "s-1" }));
      await store.createCommand(command("c-1", { kind: "stop" }));
      expect(await store.recordAck({ commandId: "c-1", machineId: "m-2", status: "ok", payload: {}, now: 1 })).toBeUndefined();
      expect(await store.recordAck({ commandId: "ghost", machineId: "m-1", status: "ok", payload: {}, now: 1 })).toBeUndefined();
      expect((await store.getCommand("c-1"))?.ackStatus).toBe("");
      expect(await store.getCommand("ghost")).toBeUndefined();
    });

    it("maps a duplicate command id to already_exists", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      const c = command("c-1");
      await store.createCommand(c);
      await expectCode(store.createCommand(c), Code.AlreadyExists, /command already exists/);
    });

    it("lets the first of an acknowledgement and an expiry win, either way round", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      await store.createCommand(command("acked"));
      await store.createCommand(command("expired"));
      await store.recordAck({ commandId: "acked", machineId: "m-1", status: "ok", payload: { pid: 1 }, now: 20 });
      const late = await store.expireCommand("acked", 30);
      expect(late).toMatchObject({ expired: false, command: { ackStatus: "ok", ackPayload: { pid: 1 } } });
      const expired = await store.expireCommand("expired", 30);
      expect(expired).toMatchObject({ expired: true, command: { ackStatus: "expired", ackPayload: undefined, ackedAt: 30 } });
      const after = await store.recordAck({ commandId: "expired", machineId: "m-1", status: "ok", payload: { pid: 2 }, now: 40 });
      expect(after).toMatchObject({ first: false, command: { ackStatus: "expired" } });
      expect(await store.expireCommand("ghost", 1)).toBeUndefined();
    });

    it("lists a machine's unacknowledged commands before their deadline, oldest first", async () => {
      const store = getStore();
      await store.createMachine({ machineId: "m-2", workspaceId: "ws-1", makeDefault: false, now: 1 });
      await store.createSession(session({ sessionId: "s-1" }));
      await store.createCommand(command("late", { now: 30, deadlineAt: 1_000 }));
      await store.createCommand(command("early", { now: 20, deadlineAt: 1_000 }));
      await store.createCommand(command("no-deadline", { now: 40, deadlineAt: undefined }));
      await store.createCommand(command("past", { now: 10, deadlineAt: 100 }));
      await store.createCommand(command("acked", { now: 10 }));
      await store.createCommand(command("elsewhere", { now: 10, machineId: "m-2" }));
      await store.recordAck({ commandId: "acked", machineId: "m-1", status: "ok", payload: {}, now: 50 });
      const pending = await store.listPendingCommands("m-1", 500);
      expect(pending.map((c) => c.commandId)).toEqual(["early", "late", "no-deadline"]);
      expect(pending[0]?.command).toEqual(launchCommand("early"));
    });
  });

  describe("what the reconciler reads", () => {
    it("lists commands unacknowledged past their deadline, oldest first, up to the limit", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      await store.createCommand(command("late-2", { now: 20, deadlineAt: 100 }));
      await store.createCommand(command("late-1", { now: 10, deadlineAt: 100 }));
      await store.createCommand(command("in-time", { now: 10, deadlineAt: 1_000 }));
      await store.createCommand(command("no-deadline", { now: 10, deadlineAt: undefined }));
      await store.createCommand(command("acked", { now: 10, deadlineAt: 100 }));
      await store.recordAck({ commandId: "acked", machineId: "m-1", status: "ok", payload: {}, now: 50 });
      expect((await store.listOverdueCommands(500, 10)).map((c) => c.commandId)).toEqual(["late-1", "late-2"]);
      expect((await store.listOverdueCommands(500, 1)).map((c) => c.commandId)).toEqual(["late-1"]);
    });

    it("lists sessions in given states not updated since a time, oldest first", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "old", state: "dispatched", updatedAt: 10 }));
      await store.createSession(session({ sessionId: "older", state: "pending", updatedAt: 5 }));
      await store.createSession(session({ sessionId: "recent", state: "pending", updatedAt: 900 }));
      await store.createSession(session({ sessionId: "done", state: "exited", updatedAt: 1 }));
      const stale = await store.listStaleSessions(["pending", "dispatched"], 100, 10);
      expect(stale.map((s) => s.sessionId)).toEqual(["older", "old"]);
      expect(await store.listStaleSessions([], 100, 10)).toEqual([]);
    });

    it("binds a key to its session and lists keys whose call never stored an outcome", async () => {
      const store = getStore();
      for (const [key, now] of [["a", 10], ["b", 20], ["new", 900]] as const) {
        await store.claimIdempotencyKey({ tokenId: "t-1", key, sessionId: "", requestHash: "h", now });
      }
      await store.bindIdempotencyKey("t-1", "a", "s-1");
      await store.completeIdempotencyKey("t-1", "b", { error: { code: Code.Unavailable, message: "offline" } });
      const unfinished = await store.listUnfinishedIdempotencyKeys(100, 10);
      expect(unfinished).toEqual([{ tokenId: "t-1", key: "a", sessionId: "s-1", requestHash: "h", outcome: undefined, createdAt: 10 }]);
    });
  });

  describe("idempotency keys", () => {
    it("claims a key once, then returns the entry and its stored response", async () => {
      const store = getStore();
      const claim = { tokenId: "t-1", key: "k", sessionId: "s-1", requestHash: "h1", now: 50 };
      expect(await store.claimIdempotencyKey(claim)).toBeUndefined();
      const pending = await store.claimIdempotencyKey({ ...claim, sessionId: "s-2", requestHash: "h2", now: 60 });
      expect(pending).toEqual({ tokenId: "t-1", key: "k", sessionId: "s-1", requestHash: "h1", outcome: undefined, createdAt: 50 });
      const result = { status: "ok", payload: { session_id: "s-1", pid: 7 } };
      await store.completeIdempotencyKey("t-1", "k", { result });
      expect((await store.claimIdempotencyKey(claim))?.outcome).toEqual({ result });
      expect(await store.claimIdempotencyKey({ ...claim, tokenId: "t-2" })).toBeUndefined();
    });

    it("releases an unfinished claim so a retry claims it again, but keeps a completed one", async () => {
      const store = getStore();
      const claim = { tokenId: "t-1", key: "r", sessionId: "s-1", requestHash: "h", now: 1 };
      expect(await store.claimIdempotencyKey(claim)).toBeUndefined();
      await store.releaseIdempotencyKey("t-1", "r");
      expect(await store.claimIdempotencyKey(claim)).toBeUndefined();
      const error = { code: Code.Unavailable, message: "machine m-1 is offline" };
      await store.completeIdempotencyKey("t-1", "r", { error });
      await store.releaseIdempotencyKey("t-1", "r");
      expect((await store.claimIdempotencyKey(claim))?.outcome).toEqual({ error });
    });

    it("lets exactly one of many concurrent claims win", async () => {
      const store = getStore();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.claimIdempotencyKey({ tokenId: "t-1", key: "k", sessionId: `s-${i}`, requestHash: "h", now: i }),
        ),
      );
      expect(results.filter((r) => r === undefined)).toHaveLength(1);
    });
  });
}
