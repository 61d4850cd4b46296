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

/**
 * Runs `race` (another replica's move) just before the next write of a move,
 * so the caller's write meets a state other than the one it decided on
 * (whether it decided on a read or on the copy it was given).
 */
function raceNextMove(race: () => Promise<unknown>): void {
  const move = room.store.moveSession.bind(room.store);
  let raced = false;
  room.store.moveSession = async (m, signal) => {
    if (!raced) {
      raced = true;
      await race();
    }
    return move(m, signal);
  };
}

describe("createSessionLifecycle", () => {
  it("decides a move again when another replica moved the session between its read and its write", async () => {
    const s = await storeSession(room.store, { sessionId: "s-1", state: "dispatched" });
    const other = createSessionLifecycle({ store: room.store, events: room.events, now: () => moveTime });
    raceNextMove(() => other.reported(s, { state: "exited", exitCode: 0, message: "", pid: 0 }));

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
    raceNextMove(() => other.dispatched(s));

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

  it("moves a dispatch and an ack on the caller's copy of the session, reading it no more", async () => {
    const s = await storeSession(room.store, { sessionId: "s-1", state: "pending" });
    let reads = 0;
    const read = room.store.getSessionById.bind(room.store);
    room.store.getSessionById = (sessionId, signal) => {
      reads++;
      return read(sessionId, signal);
    };
    const dispatched = await room.lifecycle.dispatched(s);
    await room.lifecycle.acknowledged(dispatched!, okAck);
    expect(reads).toBe(0);
    expect(await historyOf(room.store, "s-1")).toEqual([
      [1, "dispatched", "dispatched"],
      [2, "acknowledged", "running"],
    ]);
  });

  it("decides again on the stored session when the caller's copy is stale", async () => {
    const stale = await storeSession(room.store, { sessionId: "s-1", state: "dispatched" });
    await room.lifecycle.reported(stale, { state: "exited", exitCode: 0, message: "", pid: 0 });
    // The copy says dispatched; the session exited meanwhile: the ack is recorded on the exited session.
    expect((await room.lifecycle.acknowledged(stale, okAck))?.state).toBe("exited");
    // And a dispatch planned on a stale pending copy is refused by the table on the stored state.
    const pending = await storeSession(room.store, { sessionId: "s-2", state: "pending" });
    await room.lifecycle.dispatched(pending);
    expect(await room.lifecycle.dispatched(pending)).toBeUndefined();
    expect(await historyOf(room.store, "s-2")).toEqual([[1, "dispatched", "dispatched"]]);
  });
});
