import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultPageSize } from "../../../server/sessions/create-session-reader.js";
import type { SessionStateName } from "../../../server/store/store.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { collect, finishedRun, openSessionRoom, reader, type SessionRoom, steps, storeHistory, storeSession } from "./session-fixtures.js";

let room: SessionRoom;
let controller: AbortController;
let signal: AbortSignal;
beforeEach(async () => {
  room = await openSessionRoom();
  controller = new AbortController();
  signal = controller.signal;
});
afterEach(async () => {
  controller.abort();
  await room.store.close();
});

const list = (query: { pageSize?: number; pageToken?: string; state?: SessionStateName; machineId?: string; workspaceId?: string } = {}) =>
  room.reader.list({ workspaceId: "ws-1", pageSize: 0, pageToken: "", machineId: "", ...query }, signal);

/** Every page of a listing, following its tokens. */
async function allPages(query: Parameters<typeof list>[0]) {
  const pages: string[][] = [];
  let pageToken = "";
  do {
    const page = await list({ ...query, pageToken });
    pages.push(page.sessions.map((s) => s.sessionId));
    pageToken = page.nextPageToken;
  } while (pageToken && pages.length < 50);
  return pages;
}

describe("createSessionReader", () => {
  describe("get", () => {
    it("returns the workspace's session", async () => {
      const s = await storeSession(room.store, { sessionId: "s-1" });
      expect(await room.reader.get("ws-1", "s-1", signal)).toEqual(s);
    });

    it("answers not_found for a session of another workspace exactly as for one that does not exist", async () => {
      await storeSession(room.store, { sessionId: "s-other", workspaceId: "ws-2", machineId: "m-3" });
      const elsewhere = await expectCode(room.reader.get("ws-1", "s-other", signal), Code.NotFound);
      const missing = await expectCode(room.reader.get("ws-1", "s-missing", signal), Code.NotFound);
      expect(elsewhere.rawMessage).toBe("session s-other not found");
      expect(missing.rawMessage).toBe("session s-missing not found");
    });
  });

  describe("list", () => {
    it("pages a workspace's sessions newest first with tokens, the last page without one", async () => {
      for (let i = 1; i <= 5; i++) await storeSession(room.store, { sessionId: `s-${i}`, createdAt: i });
      await storeSession(room.store, { sessionId: "s-other", workspaceId: "ws-2", machineId: "m-3", createdAt: 9 });
      const first = await list({ pageSize: 2 });
      expect(first.sessions.map((s) => s.sessionId)).toEqual(["s-5", "s-4"]);
      expect(first.nextPageToken).not.toBe("");
      expect(await allPages({ pageSize: 2 })).toEqual([["s-5", "s-4"], ["s-3", "s-2"], ["s-1"]]);
    });

    it("ends on a full last page without an empty one after it", async () => {
      for (let i = 1; i <= 4; i++) await storeSession(room.store, { sessionId: `s-${i}`, createdAt: i });
      expect(await allPages({ pageSize: 2 })).toEqual([
        ["s-4", "s-3"],
        ["s-2", "s-1"],
      ]);
    });

    it(`gives ${defaultPageSize} sessions a page when the page size is 0`, async () => {
      expect(defaultPageSize).toBe(50);
      for (let i = 0; i < defaultPageSize + 1; i++) await storeSession(room.store, { sessionId: `s-${String(i).padStart(2, "0")}`, createdAt: i });
      const page = await list();
      expect(page.sessions).toHaveLength(defaultPageSize);
      expect((await list({ pageToken: page.nextPageToken })).sessions.map((s) => s.sessionId)).toEqual(["s-00"]);
    });

    it("answers an empty page for a workspace without sessions", async () => {
      expect(await list()).toEqual({ sessions: [], nextPageToken: "" });
    });

    it("filters by state and by machine, also across pages", async () => {
      const states: SessionStateName[] = ["running", "exited", "running", "failed", "running", "running"];
      for (const [i, state] of states.entries()) {
        await storeSession(room.store, { sessionId: `s-${i}`, state, machineId: i % 2 ? "m-2" : "m-1", createdAt: i });
      }
      expect(await allPages({ state: "running", pageSize: 2 })).toEqual([["s-5", "s-4"], ["s-2", "s-0"]]);
      expect(await allPages({ machineId: "m-2", pageSize: 2 })).toEqual([["s-5", "s-3"], ["s-1"]]);
      expect(await allPages({ machineId: "m-2", state: "running" })).toEqual([["s-5"]]);
      expect(await allPages({ state: "unknown" })).toEqual([[]]);
    });

    it("refuses a page token it did not issue with invalid_argument", async () => {
      await expectCode(list({ pageToken: "garbage" }), Code.InvalidArgument, /page_token/);
    });
  });

  describe("watch", () => {
    it("gives a finished session's history and ends", async () => {
      await storeSession(room.store, { sessionId: "s-1", state: "exited" });
      await storeHistory(room.store, "s-1", finishedRun);
      const events = await collect(await room.reader.watch("ws-1", "s-1", 0, signal));
      expect(steps(events)).toEqual(finishedRun.map(([type, state], i) => [i + 1, type, state]));
    });

    it("replays only the events after the sequence it is given", async () => {
      await storeSession(room.store, { sessionId: "s-1", state: "exited" });
      await storeHistory(room.store, "s-1", finishedRun);
      expect((await collect(await room.reader.watch("ws-1", "s-1", 3, signal))).map((e) => e.sequence)).toEqual([4, 5]);
      expect(await collect(await room.reader.watch("ws-1", "s-1", 5, signal))).toEqual([]);
    });

    it("follows a live session until its terminal event", async () => {
      const s = await storeSession(room.store, { sessionId: "s-1", state: "dispatched" });
      await storeHistory(room.store, "s-1", finishedRun.slice(0, 2));
      const watch = reader(await room.reader.watch("ws-1", "s-1", 0, signal));
      expect(await watch.until(2)).toHaveLength(2);
      await room.lifecycle.acknowledged(s, { status: "ok", payload: { pid: 3 } });
      await room.lifecycle.reported(s, { state: "exited", exitCode: 0, message: "", pid: 0 });
      // Recorded after the end: a late ack on the exited session.
      await room.lifecycle.acknowledged(s, { status: "ok", payload: {} });
      expect(steps(await watch.done)).toEqual([
        [1, "accepted", "pending"],
        [2, "dispatched", "dispatched"],
        [3, "acknowledged", "running"],
        [4, "exited", "exited"],
      ]);
    });

    it("follows a reused session past the end of its earlier run", async () => {
      const s = await storeSession(room.store, { sessionId: "s-1", state: "dispatched" });
      await storeHistory(room.store, "s-1", [...finishedRun, ["accepted", "pending"], ["dispatched", "dispatched"]]);
      const watch = reader(await room.reader.watch("ws-1", "s-1", 0, signal));
      expect(await watch.until(7)).toHaveLength(7);
      await room.lifecycle.reported(s, { state: "failed", message: "died", pid: 0 });
      expect(steps(await watch.done).slice(4)).toEqual([
        [5, "exited", "exited"],
        [6, "accepted", "pending"],
        [7, "dispatched", "dispatched"],
        [8, "failed", "failed"],
      ]);
    });

    it("ends a live watch when the caller's signal aborts", async () => {
      await storeSession(room.store, { sessionId: "s-1", state: "running" });
      const watch = reader(await room.reader.watch("ws-1", "s-1", 0, signal));
      controller.abort();
      expect(await watch.done).toEqual([]);
    });

    it("answers not_found for a session of another workspace", async () => {
      await storeSession(room.store, { sessionId: "s-other", workspaceId: "ws-2", machineId: "m-3", state: "running" });
      await expectCode(room.reader.watch("ws-1", "s-other", 0, signal), Code.NotFound, /session s-other not found/);
    });
  });
});
