import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Backplane, BackplaneHandlers } from "../../../server/hub/backplane.js";
import { createSessionEventBus } from "../../../server/sessions/create-session-event-bus.js";
import { createSessionLifecycle } from "../../../server/sessions/create-session-lifecycle.js";
import { type WorkspaceSessionChange, watchWorkspaceSessions } from "../../../server/sessions/watch-workspace-sessions.js";
import { event } from "../store/store-contract-fixtures.js";
import { moveTime, openSessionRoom, reader, type SessionRoom, storeSession } from "./session-fixtures.js";

let room: SessionRoom;
let controller: AbortController;
beforeEach(async () => {
  room = await openSessionRoom();
  controller = new AbortController();
});
afterEach(async () => {
  controller.abort();
  await room.store.close();
});

/** What a change says, in one line: `resync`, or `session-id:state`. */
const said = (changes: readonly WorkspaceSessionChange[]) =>
  changes.map((c) => (c.kind === "resync" ? "resync" : `${c.session.sessionId}:${c.session.state}`));

const watch = (events = room.events) => reader(watchWorkspaceSessions({ store: room.store, events }, "ws-1", controller.signal));

/**
 * Backplanes of two replicas wired to each other, as PostgreSQL's LISTEN/NOTIFY
 * wires them: what one announces, the other's handlers hear.
 */
function pairedBackplanes(): [Backplane, Backplane, { resync(which: 0 | 1): void }] {
  const handlers: Partial<BackplaneHandlers>[][] = [[], []];
  const make = (self: 0 | 1): Backplane =>
    ({
      replicaId: `r${self}`,
      on: (h: Partial<BackplaneHandlers>) => handlers[self]!.push(h),
      appended: async (sessionId: string, sequence: number) => {
        for (const h of handlers[1 - self]!) h.event?.(sessionId, sequence);
      },
    }) as unknown as Backplane;
  return [make(0), make(1), { resync: (which) => { for (const h of handlers[which]!) h.resync?.(); } }];
}

describe("watchWorkspaceSessions", () => {
  it("starts with a resync, then gives each session of the workspace as it changes, and none of another workspace", async () => {
    const watcher = watch();
    await watcher.until(1);
    await storeSession(room.store, { sessionId: "s-1" });
    await storeSession(room.store, { sessionId: "other", workspaceId: "ws-2", machineId: "m-3" });
    await room.events.append(event("other", { type: "accepted", state: "pending" }));
    await room.events.append(event("s-1", { type: "accepted", state: "pending" }));
    await watcher.until(2);
    const s1 = await room.store.getSessionById("s-1");
    await room.lifecycle.dispatched(s1!);
    expect(said(await watcher.until(3))).toEqual(["resync", "s-1:pending", "s-1:dispatched"]);
  });

  it("sends nothing for transcript entries or a change no caller sees, and coalesces a burst into the latest state", async () => {
    await storeSession(room.store, { sessionId: "s-1", state: "running" });
    const watcher = watch();
    await watcher.until(1);
    // Announced but unchanged: the same row again is no change.
    await room.events.append(event("s-1", { type: "running", state: "running" }));
    await room.events.append(event("s-1", { type: "running", state: "running" }));
    await watcher.until(2);
    await room.events.appendTranscript({ sessionId: "s-1", machineId: "m-1", fromOffset: 0, entries: [{ offset: 0, role: "assistant", kind: "text", text: "hi" }], now: moveTime });
    // Several moves before the watcher reads: it reads each session once, in its latest state.
    const reads: string[] = [];
    const get = room.store.getSession.bind(room.store);
    room.store.getSession = async (w, id, signal) => {
      reads.push(id);
      return get(w, id, signal);
    };
    await room.store.updateSession("s-1", { state: "exited", exitCode: 3, updatedAt: 9 });
    const first = await room.store.appendSessionEvent(event("s-1", { type: "exited", state: "exited", exitCode: 3 }));
    const second = await room.store.appendSessionEvent(event("s-1", { type: "exited", state: "exited", exitCode: 3 }));
    room.events.publish(first);
    room.events.publish(second);
    const seen = await watcher.until(3);
    expect(said(seen)).toEqual(["resync", "s-1:running", "s-1:exited"]);
    expect(seen[2]).toMatchObject({ session: { exitCode: 3 } });
    expect(reads).toEqual(["s-1"]);
  });

  it("follows sessions changed on another replica through the backplane, and resyncs when it lost notifications", async () => {
    const [a, b, wire] = pairedBackplanes();
    const here = createSessionEventBus({ store: room.store, backplane: a });
    const there = createSessionEventBus({ store: room.store, backplane: b });
    const otherReplica = createSessionLifecycle({ store: room.store, events: there, now: () => moveTime });
    const watcher = watch(here);
    await watcher.until(1);
    const s1 = await storeSession(room.store, { sessionId: "s-1" });
    await there.append(event("s-1", { type: "accepted", state: "pending" }));
    await watcher.until(2);
    await otherReplica.dispatched(s1);
    await watcher.until(3);
    wire.resync(0);
    expect(said(await watcher.until(4))).toEqual(["resync", "s-1:pending", "s-1:dispatched", "resync"]);
  });

  it("ends when its signal aborts, unsubscribed from the bus", async () => {
    const watcher = watch();
    await watcher.until(1);
    controller.abort();
    expect(said(await watcher.done)).toEqual(["resync"]);
    await storeSession(room.store, { sessionId: "s-1" });
    await room.events.append(event("s-1", { type: "accepted", state: "pending" }));
    expect(said(watcher.values)).toEqual(["resync"]);
  });
});
