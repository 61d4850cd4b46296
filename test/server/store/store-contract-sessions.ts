import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { SessionRecord, SessionStateName, Store } from "../../../server/store/store.js";
import { event, expectCode, session } from "./store-contract-fixtures.js";

/** Contract cases for sessions: create, read, patch, paging and filters. */
export function describeSessions(getStore: () => Store): void {
  describe("sessions", () => {
    it("creates and reads a session by workspace and by id", async () => {
      const store = getStore();
      const s = session({ sessionId: "s-1", exitCode: 0, metadata: { a: 1, nested: { b: [true, null, "x"] } } });
      await store.createSession(s);
      expect(await store.getSession("ws-1", "s-1")).toEqual(s);
      expect(await store.getSessionById("s-1")).toEqual(s);
      expect(await store.getSession("ws-2", "s-1")).toBeUndefined();
      expect(await store.getSessionById("nope")).toBeUndefined();
    });

    it("maps a duplicate session to already_exists and a missing workspace to failed_precondition", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      await expectCode(store.createSession(session({ sessionId: "s-1" })), Code.AlreadyExists, /session already exists/);
      await expectCode(store.createSession(session({ sessionId: "s-2", workspaceId: "ghost" })), Code.FailedPrecondition);
    });

    it("applies a patch and leaves other fields alone", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      const updated = await store.updateSession("s-1", { state: "exited", exitCode: 3, pid: 42, updatedAt: 5000 });
      const expected = session({ sessionId: "s-1", state: "exited", exitCode: 3, pid: 42, updatedAt: 5000 });
      expect(updated).toEqual(expected);
      expect(await store.getSessionById("s-1")).toEqual(expected);
      expect(await store.updateSession("ghost", { state: "failed", updatedAt: 1 })).toBeUndefined();
    });

    it("stores an acknowledgement as a value, keeps it across patches, and clears it with null", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      const acknowledgement = { status: "ok", payload: { session_id: "s-1", pid: 42, nested: { list: [1, "two", null] } } };
      await store.updateSession("s-1", { state: "running", acknowledgement, updatedAt: 2 });
      await store.updateSession("s-1", { pid: 43, updatedAt: 3 });
      expect((await store.getSessionById("s-1"))?.acknowledgement).toEqual(acknowledgement);
      await store.updateSession("s-1", { state: "pending", acknowledgement: null, updatedAt: 4 });
      expect((await store.getSessionById("s-1"))?.acknowledgement).toBeUndefined();
    });

    it("keeps who stopped a session and when, across patches, into the stopped state, and clears it with \"\" and 0", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1", state: "running", stoppedBy: "tok-1", stopTime: 1_700_000_000_123 }));
      expect(await store.getSessionById("s-1")).toMatchObject({ stoppedBy: "tok-1", stopTime: 1_700_000_000_123 });
      await store.updateSession("s-1", { pid: 7, updatedAt: 2 });
      expect(await store.getSessionById("s-1")).toMatchObject({ stoppedBy: "tok-1", stopTime: 1_700_000_000_123 });
      // A stop recorded with no event: the guarded move writes the row alone.
      const recorded = await store.moveSession({ sessionId: "s-1", from: "running", patch: { stoppedBy: "tok-2", stopTime: 5, updatedAt: 3 }, events: [] });
      expect(recorded).toMatchObject({ session: { state: "running", stoppedBy: "tok-2", stopTime: 5 }, events: [] });
      const moved = await store.moveSession({
        sessionId: "s-1",
        from: "running",
        patch: { state: "stopped", exitCode: 143, pid: 0, updatedAt: 4 },
        events: [event("s-1", { type: "stopped", state: "stopped", exitCode: 143, message: "stopped by tok-2" })],
      });
      const expected = session({ sessionId: "s-1", state: "stopped", exitCode: 143, stoppedBy: "tok-2", stopTime: 5, updatedAt: 4 });
      expect(moved?.session).toEqual(expected);
      expect(await store.listSessionEvents("s-1", 0)).toMatchObject([{ sequence: 1, type: "stopped", state: "stopped", exitCode: 143 }]);
      expect(await store.listSessions({ workspaceId: "ws-1", state: "stopped", limit: 10 })).toEqual([expected]);
      expect(await store.listSessions({ workspaceId: "ws-1", state: "exited", limit: 10 })).toEqual([]);
      await store.updateSession("s-1", { state: "pending", stoppedBy: "", stopTime: 0, updatedAt: 6 });
      expect(await store.getSessionById("s-1")).toMatchObject({ state: "pending", stoppedBy: "", stopTime: 0 });
    });

    it("moves a session with its events only from the state the move was decided on", async () => {
      const store = getStore();
      await store.createSession(session({ sessionId: "s-1" }));
      const move = {
        sessionId: "s-1",
        from: "pending" as const,
        patch: { state: "failed" as const, errorMessage: "gone", updatedAt: 10 },
        events: [event("s-1", { type: "acknowledged", state: "failed" }), event("s-1", { type: "failed", state: "failed" })],
      };
      const moved = await store.moveSession(move);
      const expected = session({ sessionId: "s-1", state: "failed", errorMessage: "gone", updatedAt: 10 });
      expect(moved?.session).toEqual(expected);
      expect(moved?.events.map((e) => [e.sequence, e.type])).toEqual([
        [1, "acknowledged"],
        [2, "failed"],
      ]);
      expect(await store.listSessionEvents("s-1", 0)).toEqual(moved?.events);
      // Decided on a state the session has left: nothing is written.
      expect(await store.moveSession({ ...move, patch: { state: "running", updatedAt: 20 } })).toBeUndefined();
      expect(await store.getSessionById("s-1")).toEqual(expected);
      expect(await store.listSessionEvents("s-1", 0)).toHaveLength(2);
      expect(await store.moveSession({ ...move, sessionId: "ghost", events: [] })).toBeUndefined();
    });

    it("writes neither the row nor any event of a move whose event cannot be stored", async () => {
      const store = getStore();
      const s = session({ sessionId: "s-1" });
      await store.createSession(s);
      const events = [event("s-1", { type: "dispatched", state: "dispatched" }), event("ghost", { type: "dispatched" })];
      await expectCode(
        store.moveSession({ sessionId: "s-1", from: "pending", patch: { state: "dispatched", updatedAt: 10 }, events }),
        Code.FailedPrecondition,
      );
      expect(await store.getSessionById("s-1")).toEqual(s);
      expect(await store.listSessionEvents("s-1", 0)).toEqual([]);
    });

    it("pages 250 sessions newest first, each exactly once", async () => {
      const store = getStore();
      const all: SessionRecord[] = [];
      for (let i = 0; i < 250; i++) {
        // Many share a create time, so the id breaks ties.
        const s = session({ sessionId: `s-${String(i).padStart(3, "0")}`, createdAt: 1000 + Math.floor(i / 7) });
        all.push(s);
        await store.createSession(s);
      }
      await store.createSession(session({ sessionId: "other", workspaceId: "ws-2", createdAt: 5000 }));
      const expected = [...all]
        .sort((a, b) => b.createdAt - a.createdAt || (a.sessionId < b.sessionId ? 1 : -1))
        .map((s) => s.sessionId);
      const seen: string[] = [];
      let after: { createdAt: number; sessionId: string } | undefined;
      for (let page = 0; page < 100; page++) {
        const rows = await store.listSessions({ workspaceId: "ws-1", limit: 11, after });
        expect(rows.length).toBeLessThanOrEqual(11);
        if (rows.length === 0) break;
        seen.push(...rows.map((r) => r.sessionId));
        const last = rows.at(-1)!;
        after = { createdAt: last.createdAt, sessionId: last.sessionId };
      }
      expect(seen).toEqual(expected);
    });

    it("filters by state and machine, also while paging", async () => {
      const store = getStore();
      await store.createMachine({ machineId: "m-2", workspaceId: "ws-1", makeDefault: false, now: 1 });
      const states: SessionStateName[] = ["pending", "running", "exited"];
      for (let i = 0; i < 30; i++) {
        await store.createSession(
          session({ sessionId: `s-${String(i).padStart(2, "0")}`, state: states[i % 3]!, machineId: i % 2 ? "m-2" : "m-1", createdAt: i }),
        );
      }
      const running = await store.listSessions({ workspaceId: "ws-1", state: "running", limit: 100 });
      expect(running.map((s) => s.sessionId)).toEqual(["s-28", "s-25", "s-22", "s-19", "s-16", "s-13", "s-10", "s-07", "s-04", "s-01"]);
      const onM2 = await store.listSessions({ workspaceId: "ws-1", machineId: "m-2", limit: 100 });
      expect(onM2).toHaveLength(15);
      expect(onM2.every((s) => s.machineId === "m-2")).toBe(true);
      const both = await store.listSessions({ workspaceId: "ws-1", machineId: "m-2", state: "running", limit: 2 });
      expect(both.map((s) => s.sessionId)).toEqual(["s-25", "s-19"]);
      const next = await store.listSessions({
        workspaceId: "ws-1",
        machineId: "m-2",
        state: "running",
        limit: 10,
        after: { createdAt: 19, sessionId: "s-19" },
      });
      expect(next.map((s) => s.sessionId)).toEqual(["s-13", "s-07", "s-01"]);
      expect(await store.listSessions({ workspaceId: "ws-2", limit: 10 })).toEqual([]);
    });

    it("lists the sessions on a machine in the given states", async () => {
      const store = getStore();
      await store.createMachine({ machineId: "m-2", workspaceId: "ws-1", makeDefault: false, now: 1 });
      await store.createSession(session({ sessionId: "a", state: "running" }));
      await store.createSession(session({ sessionId: "b", state: "dispatched" }));
      await store.createSession(session({ sessionId: "c", state: "exited" }));
      await store.createSession(session({ sessionId: "d", state: "running", machineId: "m-2" }));
      const ids = (await store.listSessionsOnMachine("m-1", ["running", "dispatched"])).map((s) => s.sessionId).sort();
      expect(ids).toEqual(["a", "b"]);
      expect(await store.listSessionsOnMachine("m-1", [])).toEqual([]);
    });
  });
}
