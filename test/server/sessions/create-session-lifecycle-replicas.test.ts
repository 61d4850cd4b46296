import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSessionLifecycle } from "../../../server/sessions/create-session-lifecycle.js";
import { historyOf, moveTime, openSessionRoom, type SessionRoom, storeSession } from "./session-fixtures.js";

// Two lifecycles on one store stand for two replicas: their moves of one
// session are not queued behind each other, only the store can order them.
let room: SessionRoom;
beforeEach(async () => {
  room = await openSessionRoom();
});
afterEach(async () => {
  await room.store.close();
});

const okAck = { status: "ok", payload: { session_id: "s-1", pid: 42 } };

/** Makes the next read of a session run `race` (another replica's move) after reading, so the caller decides on a stale state. */
function raceNextRead(race: () => Promise<unknown>): void {
  const read = room.store.getSessionById.bind(room.store);
  let raced = false;
  room.store.getSessionById = async (sessionId, signal) => {
    const found = await read(sessionId, signal);
    if (!raced) {
      raced = true;
      await race();
    }
    return found;
  };
}

describe("createSessionLifecycle", () => {
  it("decides a move again when another replica moved the session between its read and its write", async () => {
    const s = await storeSession(room.store, { sessionId: "s-1", state: "dispatched" });
    const other = createSessionLifecycle({ store: room.store, events: room.events, now: () => moveTime });
    raceNextRead(() => other.reported(s, { state: "exited", exitCode: 0, message: "", pid: 0 }));

    const moved = await room.lifecycle.acknowledged(s, okAck);

    // Not `running` over the other replica's exit: the ack is recorded on the exited session.
    expect(moved?.state).toBe("exited");
    expect((await room.store.getSessionById("s-1"))?.state).toBe("exited");
    expect(await historyOf(room.store, "s-1")).toEqual([
      [1, "exited", "exited"],
      [2, "acknowledged", "exited"],
    ]);
  });

  it("refuses a move that the other replica's move made impossible, writing nothing", async () => {
    const s = await storeSession(room.store, { sessionId: "s-1", state: "pending" });
    const other = createSessionLifecycle({ store: room.store, events: room.events, now: () => moveTime });
    raceNextRead(() => other.dispatched(s));

    expect(await room.lifecycle.dispatched(s)).toBeUndefined();
    expect(await historyOf(room.store, "s-1")).toEqual([[1, "dispatched", "dispatched"]]);
  });

  it("waits for the report of a session whose end is on its way when the daemon resubscribes elsewhere", async () => {
    const running = await storeSession(room.store, { sessionId: "s-running", state: "running" });
    const unknown = await storeSession(room.store, { sessionId: "s-unknown", state: "unknown" });
    await room.lifecycle.machineOnline("m-1", [], ["s-running", "s-unknown"]);
    expect(await room.store.getSessionById("s-running")).toEqual(running);
    expect(await room.store.getSessionById("s-unknown")).toEqual(unknown);

    await room.lifecycle.reported(running, { state: "exited", exitCode: 0, message: "", pid: 0 });
    expect(await historyOf(room.store, "s-running")).toEqual([[1, "exited", "exited"]]);
  });

  it("leaves a session whose launch is not yet acknowledged to that launch when the daemon resubscribes", async () => {
    // Dispatched, then unknown when its replica shut down and took the daemon's stream with it.
    const s = await storeSession(room.store, { sessionId: "s-1", state: "unknown" });
    await room.lifecycle.machineOnline("m-1", []);
    expect(await room.store.getSessionById("s-1")).toEqual(s);

    await room.lifecycle.acknowledged(s, okAck);
    expect(await historyOf(room.store, "s-1")).toEqual([[1, "acknowledged", "running"]]);
  });
});
