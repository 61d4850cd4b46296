import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Backplane, BackplaneHandlers } from "../../../server/hub/backplane.js";
import { createSessionEventBus } from "../../../server/sessions/create-session-event-bus.js";
import { event } from "../store/store-contract-fixtures.js";
import { openSessionRoom, reader, type SessionRoom, storeSession } from "./session-fixtures.js";

let room: SessionRoom;
let controller: AbortController;
beforeEach(async () => {
  room = await openSessionRoom();
  await storeSession(room.store, { sessionId: "s-1", machineId: "m-1", state: "running" });
  controller = new AbortController();
});
afterEach(async () => {
  controller.abort();
  await room.store.close();
});

/** A backplane between two buses on one store, as two replicas on one database. */
function linkedBackplanes(): [Backplane, Backplane] {
  const handlers: Partial<BackplaneHandlers>[][] = [[], []];
  const make = (self: number): Backplane => ({
    replicaId: `r${self}`,
    on: (h) => void handlers[self]!.push(h),
    start: async () => {},
    hold: async () => {},
    release: async () => true,
    online: async () => new Map(),
    route: async () => {},
    acked: async () => {},
    async appended(sessionId, sequence) {
      for (const h of handlers[1 - self]!) h.event?.(sessionId, sequence);
    },
    close: async () => {},
  });
  return [make(0), make(1)];
}

const entries = (...texts: string[]) => texts.map((text) => ({ offset: 0, role: "assistant" as const, kind: "text" as const, text }));

describe("createSessionEventBus", () => {
  it("publishes stored transcript entries to followers here and on other replicas, between the state events", async () => {
    const [one, two] = linkedBackplanes();
    const here = createSessionEventBus({ store: room.store, backplane: one });
    const there = createSessionEventBus({ store: room.store, backplane: two });
    const local = reader(here.follow("s-1", 0, controller.signal));
    const remote = reader(there.follow("s-1", 0, controller.signal));
    await here.append(event("s-1", { type: "running", state: "running" }));
    const appended = await here.appendTranscript({ sessionId: "s-1", machineId: "m-1", fromOffset: 0, entries: entries("a", "b"), now: 5 });
    expect(appended?.nextOffset).toBe(2);
    await here.appendTranscript({ sessionId: "s-1", machineId: "m-1", fromOffset: 1, entries: entries("b", "c"), now: 6 });
    await here.append(event("s-1", { type: "exited", state: "exited" }));
    for (const follower of [local, remote]) {
      const seen = await follower.until(5);
      expect(seen.map((e) => [e.sequence, e.type, e.entry?.text ?? ""])).toEqual([
        [1, "running", ""],
        [2, "transcript", "a"],
        [3, "transcript", "b"],
        [4, "transcript", "c"],
        [5, "exited", ""],
      ]);
    }
  });

  it("publishes nothing for a resend the store already holds, and nothing for another machine's session", async () => {
    const published: number[] = [];
    const [one] = linkedBackplanes();
    const bus = createSessionEventBus({ store: room.store, backplane: { ...one, appended: async (_s, sequence) => void published.push(sequence) } });
    await bus.appendTranscript({ sessionId: "s-1", machineId: "m-1", fromOffset: 0, entries: entries("a"), now: 1 });
    await bus.appendTranscript({ sessionId: "s-1", machineId: "m-1", fromOffset: 0, entries: entries("a"), now: 2 });
    expect(await bus.appendTranscript({ sessionId: "s-1", machineId: "m-2", fromOffset: 1, entries: entries("x"), now: 3 })).toBeUndefined();
    expect(published).toEqual([1]);
  });
});
