import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionEventRecord } from "../../../server/store/store.js";
import { event } from "../store/store-contract-fixtures.js";
import { openSessionRoom, reader, type SessionRoom, steps, storeHistory, storeSession } from "./session-fixtures.js";

let room: SessionRoom;
let controller: AbortController;
beforeEach(async () => {
  room = await openSessionRoom();
  await storeSession(room.store, { sessionId: "s-1" });
  await storeSession(room.store, { sessionId: "s-2" });
  controller = new AbortController();
});
afterEach(async () => {
  controller.abort();
  await room.store.close();
});

const append = (type: string, sessionId = "s-1") => room.events.append(event(sessionId, { type, message: type }));

describe("createSessionEventBus", () => {
  it("stores an appended event and resolves with its sequence and time", async () => {
    const first = await append("accepted");
    const second = await append("dispatched");
    expect([first.sequence, second.sequence]).toEqual([1, 2]);
    expect(second).toMatchObject({ sessionId: "s-1", type: "dispatched", time: 2000 });
    expect(await room.store.listSessionEvents("s-1", 0)).toEqual([first, second]);
  });

  it("follows the stored events, then the live ones, without gap or duplicate", async () => {
    await storeHistory(room.store, "s-1", [
      ["accepted", "pending"],
      ["dispatched", "dispatched"],
    ]);
    const follower = reader(room.events.follow("s-1", 0, controller.signal));
    expect(steps(await follower.until(2))).toEqual([
      [1, "accepted", "pending"],
      [2, "dispatched", "dispatched"],
    ]);
    await append("acknowledged");
    await append("running");
    expect((await follower.until(4)).map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
  });

  it("publishes an event stored with its session's row to live followers", async () => {
    const follower = reader(room.events.follow("s-1", 0, controller.signal));
    const moved = await room.store.moveSession({
      sessionId: "s-1",
      from: "pending",
      patch: { state: "dispatched", updatedAt: 3 },
      events: [event("s-1", { type: "dispatched", state: "dispatched" })],
    });
    room.events.publish(moved!.events[0]!);
    expect(steps(await follower.until(1))).toEqual([[1, "dispatched", "dispatched"]]);
  });

  it("starts after the sequence it is given", async () => {
    await storeHistory(room.store, "s-1", [
      ["accepted", "pending"],
      ["dispatched", "dispatched"],
      ["acknowledged", "running"],
    ]);
    const follower = reader(room.events.follow("s-1", 2, controller.signal));
    await append("running");
    expect((await follower.until(2)).map((e) => e.sequence)).toEqual([3, 4]);
  });

  it("misses nothing appended while the history is being read, and repeats nothing appended before it was read", async () => {
    await storeHistory(room.store, "s-1", [["accepted", "pending"]]);
    const list = room.store.listSessionEvents.bind(room.store);
    room.store.listSessionEvents = async (sessionId, after, signal) => {
      // Stored before the read (so in the history and published live too)…
      await append("dispatched");
      const history = await list(sessionId, after, signal);
      // …and stored after it (so only published live).
      await append("acknowledged");
      return history;
    };
    const follower = reader(room.events.follow("s-1", 0, controller.signal));
    await follower.until(3);
    await append("running");
    expect((await follower.until(4)).map((e) => [e.sequence, e.type])).toEqual([
      [1, "accepted"],
      [2, "dispatched"],
      [3, "acknowledged"],
      [4, "running"],
    ]);
    controller.abort();
    expect(await follower.done).toHaveLength(4);
  });

  it("gives every follower every live event, as the very record append resolved with", async () => {
    const a = reader(room.events.follow("s-1", 0, controller.signal));
    // Both subscribed, and read their (empty) history, as they started.
    const b = reader(room.events.follow("s-1", 0, controller.signal));
    const ack = { status: "ok", payload: { pid: 42 } };
    const record = await room.events.append(event("s-1", { type: "acknowledged", state: "running", acknowledgement: ack }));
    const [fromA] = await a.until(1);
    const [fromB] = await b.until(1);
    expect(fromA).toBe(record);
    expect(fromB).toBe(record);
    expect(fromA?.acknowledgement).toBe(ack);
  });

  it("gives a follower only its own session's events", async () => {
    const follower = reader(room.events.follow("s-1", 0, controller.signal));
    await append("accepted", "s-2");
    await append("accepted", "s-1");
    expect((await follower.until(1)).map((e) => e.sessionId)).toEqual(["s-1"]);
    controller.abort();
    expect(await follower.done).toHaveLength(1);
  });

  it("ends a follower when its signal aborts, while the others go on", async () => {
    const leaving = new AbortController();
    const gone = reader(room.events.follow("s-1", 0, leaving.signal));
    const staying = reader(room.events.follow("s-1", 0, controller.signal));
    await append("accepted");
    await gone.until(1);
    leaving.abort();
    expect(await gone.done).toHaveLength(1);
    await append("dispatched");
    expect((await staying.until(2)).map((e) => e.sequence)).toEqual([1, 2]);
    expect(gone.values).toHaveLength(1);
  });

  it("tells change listeners the session of every state event, not of transcript entries, until they unsubscribe", async () => {
    const heard: (string | undefined)[] = [];
    const unsubscribe = room.events.onChange((sessionId) => heard.push(sessionId));
    await append("accepted", "s-2");
    await room.events.appendTranscript({ sessionId: "s-1", machineId: "m-1", fromOffset: 0, entries: [{ offset: 0, role: "assistant", kind: "text", text: "hi" }], now: 3 });
    await append("dispatched", "s-1");
    unsubscribe();
    await append("running", "s-1");
    expect(heard).toEqual(["s-2", "s-1"]);
  });

  it("lets go of a follower that returns early", async () => {
    await storeHistory(room.store, "s-1", [
      ["accepted", "pending"],
      ["dispatched", "dispatched"],
    ]);
    const seen: SessionEventRecord[] = [];
    for await (const record of room.events.follow("s-1", 0, controller.signal)) {
      seen.push(record);
      break;
    }
    expect(seen.map((e) => e.sequence)).toEqual([1]);
    // Its live queue is closed: nothing is left listening on the signal.
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    expect((await append("running")).sequence).toBe(3);
  });
});
