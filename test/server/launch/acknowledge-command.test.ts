import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { acknowledgeCommand } from "../../../server/launch/acknowledge-command.js";
import type { CommandKind } from "../../../server/store/store.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { createLaunchRoom, type LaunchRoom, storedCommand } from "./launch-fixtures.js";

/** A room with session `s-1` in `state` and a `kind` command `c-1` for it on `m1`, which nobody waits for. */
async function roomWithCommand(state: "dispatched" | "running", kind: CommandKind): Promise<LaunchRoom> {
  const room = await createLaunchRoom();
  await room.addSession({ sessionId: "s-1", state });
  await room.store.createCommand(storedCommand("c-1", "s-1", kind));
  return room;
}

function ack(room: LaunchRoom, machineId: string, commandId: string, status: string, payload = {}, signal = new AbortController().signal) {
  const deps = { store: room.store, hub: room.hub, lifecycle: room.lifecycle, sender: room.sender, abandoned: room.abandoned, log: room.log, now: () => 5000 };
  return acknowledgeCommand(deps, machineId, { commandId, status, payload }, signal);
}

describe("acknowledgeCommand", () => {
  it("records the first acknowledgement, applies it to the session, then hands the launch result to whoever waits", async () => {
    const room = await roomWithCommand("dispatched", "launch");
    const waiting = room.hub.waitForAck("c-1", new AbortController().signal);
    await ack(room, "m1", "c-1", "ok", { pid: 3 });
    expect(await waiting).toEqual({ status: "ok", payload: { session_id: "s-1", workspace_id: "ws", machine_id: "m1", pid: 3 } });
    expect(await room.store.getCommand("c-1")).toMatchObject({ ackStatus: "ok", ackPayload: { pid: 3 }, ackedAt: 5000 });
    expect(await room.store.getSessionById("s-1")).toMatchObject({ state: "running", pid: 3 });
  });

  it("writes an acknowledgement nobody waits for here and its state change in one transaction", async () => {
    const room = await roomWithCommand("dispatched", "launch");
    const writes: string[] = [];
    const { recordAck, moveSession } = room.store;
    room.store.recordAck = (a) => {
      writes.push(a.move ? "recordAck+move" : "recordAck");
      return recordAck.call(room.store, a);
    };
    room.store.moveSession = (m, signal) => {
      writes.push("moveSession");
      return moveSession.call(room.store, m, signal);
    };
    await ack(room, "m1", "c-1", "ok", { pid: 3 });
    expect(writes).toEqual(["recordAck+move"]);
    expect(await room.store.getSessionById("s-1")).toMatchObject({ state: "running", pid: 3 });
  });

  it("records nothing for a call already gone, and applies a recorded acknowledgement even when its call goes away", async () => {
    const room = await roomWithCommand("dispatched", "launch");
    const gone = new AbortController();
    gone.abort();
    await expectCode(ack(room, "m1", "c-1", "ok", {}, gone.signal), Code.Canceled);
    expect(await room.store.getCommand("c-1")).toMatchObject({ ackStatus: "" });
    // The call goes away just as the acknowledgement is recorded: the session moves all the same.
    const leaving = new AbortController();
    const { recordAck } = room.store;
    room.store.recordAck = async (a) => {
      const recorded = await recordAck.call(room.store, { ...a, move: undefined });
      leaving.abort();
      return recorded;
    };
    await ack(room, "m1", "c-1", "ok", { pid: 4 }, leaving.signal);
    expect(await room.store.getSessionById("s-1")).toMatchObject({ state: "running", pid: 4 });
  });

  it("lets the first acknowledgement win: a repeat, even a different one, is harmless and changes nothing", async () => {
    const room = await roomWithCommand("dispatched", "launch");
    await ack(room, "m1", "c-1", "ok", { pid: 3 });
    const session = await room.store.getSessionById("s-1");
    const history = await room.store.listSessionEvents("s-1", 0);
    await ack(room, "m1", "c-1", "ok", { pid: 3 });
    await ack(room, "m1", "c-1", "error", { error: { code: "late", message: "changed its mind" } });
    expect(await room.store.getCommand("c-1")).toMatchObject({ ackStatus: "ok", ackPayload: { pid: 3 }, ackedAt: 5000 });
    expect(await room.store.getSessionById("s-1")).toEqual(session);
    expect(await room.store.listSessionEvents("s-1", 0)).toEqual(history);
  });

  it("does not hand a repeat to a launch that waits again for the same command", async () => {
    const room = await roomWithCommand("dispatched", "launch");
    await ack(room, "m1", "c-1", "ok", { pid: 3 });
    const controller = new AbortController();
    const waiting = room.hub.waitForAck("c-1", controller.signal);
    await ack(room, "m1", "c-1", "ok", { pid: 3 });
    controller.abort(new Error("nothing came"));
    await expect(waiting).rejects.toThrow("nothing came");
  });

  it("answers not_found for an unknown command", async () => {
    const room = await roomWithCommand("dispatched", "launch");
    await expectCode(ack(room, "m1", "c-none", "ok"), Code.NotFound, /command c-none not found/);
  });

  it("answers not_found for another machine's command and records nothing", async () => {
    const room = await roomWithCommand("dispatched", "launch");
    await room.store.createMachine({ machineId: "m2", workspaceId: "ws", makeDefault: false, now: 1 });
    await expectCode(ack(room, "m2", "c-1", "ok"), Code.NotFound, /command c-1 not found/);
    expect(await room.store.getCommand("c-1")).toMatchObject({ ackStatus: "", ackPayload: undefined });
    expect((await room.store.getSessionById("s-1"))?.state).toBe("dispatched");
  });

  it("applies a late launch acknowledgement nobody waits for to its session, with our ids first", async () => {
    const room = await roomWithCommand("dispatched", "launch");
    await ack(room, "m1", "c-1", "ok", { session_id: "forged", pid: 7, agent_session_id: "a-7", work_dir: "/w" });
    const session = await room.store.getSessionById("s-1");
    expect(session).toMatchObject({ state: "running", pid: 7, agentSessionId: "a-7", workDir: "/w" });
    expect(session?.acknowledgement).toEqual({
      status: "ok",
      payload: { session_id: "s-1", workspace_id: "ws", machine_id: "m1", pid: 7, agent_session_id: "a-7", work_dir: "/w" },
    });
    expect((await room.store.listSessionEvents("s-1", 0)).map((e) => [e.type, e.state])).toEqual([["acknowledged", "running"]]);
  });

  it("applies a late error acknowledgement as the session's failure with the daemon's code and message", async () => {
    const room = await roomWithCommand("dispatched", "launch");
    await ack(room, "m1", "c-1", "error", { error: { code: "spawn_failed", message: "claude: not found" } });
    expect(await room.store.getSessionById("s-1")).toMatchObject({ state: "failed", errorMessage: "spawn_failed: claude: not found" });
  });

  it("records a stop acknowledgement nobody waits for and changes nothing else", async () => {
    const room = await roomWithCommand("running", "stop");
    const session = await room.store.getSessionById("s-1");
    await ack(room, "m1", "c-1", "ok", { result: "stopped" });
    expect(await room.store.getCommand("c-1")).toMatchObject({ ackStatus: "ok", ackPayload: { result: "stopped" } });
    expect(await room.store.getSessionById("s-1")).toEqual(session);
    expect(await room.store.listSessionEvents("s-1", 0)).toEqual([]);
  });

  it("keeps a session failed when its late ok ack stops the agent and the agent's end is reported: no stop is recorded", async () => {
    const room = await createLaunchRoom();
    const daemon = room.daemon();
    const session = await room.addSession({ sessionId: "s-1", state: "failed", errorMessage: "no acknowledgement in time" });
    await room.store.createCommand(storedCommand("c-1", "s-1", "launch"));
    await room.store.expireCommand("c-1", 2); // the caller was told deadline_exceeded
    await ack(room, "m1", "c-1", "ok", { pid: 7 });
    const stop = await daemon.nextCommand();
    expect(stop.kind.case).toBe("stop");
    await room.lifecycle.reported(session, { state: "exited", exitCode: 0, message: "", pid: 0 });
    expect(await room.store.getSessionById("s-1")).toMatchObject({ state: "failed", stoppedBy: "", stopTime: 0 });
  });
});
