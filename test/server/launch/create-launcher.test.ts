import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { StopResult } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createLauncher, type Launcher, type LauncherOptions } from "../../../server/launch/create-launcher.js";
import type { SessionEventRecord } from "../../../server/store/store.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { createLaunchRoom, type LaunchRoom, launchRequest, sessionIdOf, storedCommand } from "./launch-fixtures.js";

function launcherOf(room: LaunchRoom, options: Partial<LauncherOptions> = {}): Launcher {
  return createLauncher({ store: room.store, hub: room.hub, events: room.events, lifecycle: room.lifecycle, log: room.log, ...options });
}

/** A daemon that acknowledges every launch `ok` through the launcher itself. */
function ackingDaemon(room: LaunchRoom, launcher: Launcher, payload = {}) {
  return room.daemon({
    onCommand: (command) =>
      command.kind.case === "launch" && launcher.acknowledge("m1", { commandId: command.commandId, status: "ok", payload }, new AbortController().signal),
  });
}

const call = (extra: { idempotencyKey?: string; timeoutMs?: number } = {}) => ({ signal: new AbortController().signal, ...extra });

describe("createLauncher", () => {
  it("launches: accepts, pushes, and answers the acknowledgement that reaches it through acknowledge", async () => {
    const room = await createLaunchRoom();
    const launcher = launcherOf(room);
    ackingDaemon(room, launcher, { pid: 11 });
    const result = await launcher.launch(room.principal, launchRequest(), call());
    expect(result).toMatchObject({ status: "ok", payload: { workspace_id: "ws", machine_id: "m1", pid: 11 } });
    expect(await room.store.getSessionById(String(result.payload.session_id))).toMatchObject({ state: "running", pid: 11 });
  });

  it("passes the Idempotency-Key through: a retry replays the first result and launches nothing new", async () => {
    const room = await createLaunchRoom();
    const launcher = launcherOf(room);
    const daemon = ackingDaemon(room, launcher);
    const first = await launcher.launch(room.principal, launchRequest(), call({ idempotencyKey: "k" }));
    expect(await launcher.launch(room.principal, launchRequest(), call({ idempotencyKey: "k" }))).toEqual(first);
    expect(await room.store.listSessions({ workspaceId: "ws", limit: 10 })).toHaveLength(1);
    expect(daemon.commands).toHaveLength(1);
  });

  it("waits for the acknowledgement up to launchDeadlineMs, and no longer than the caller's timeoutMs", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    const error = await expectCode(launcherOf(room, { launchDeadlineMs: 20 }).launch(room.principal, launchRequest(), call()), Code.DeadlineExceeded);
    expect(error.rawMessage).toContain("within 20 ms");
    const bounded = await expectCode(launcherOf(room).launch(room.principal, launchRequest(), call({ timeoutMs: 120 })), Code.DeadlineExceeded);
    expect(bounded.rawMessage).toContain("within 120 ms");
  });

  it("stamps sessions with its clock", async () => {
    const room = await createLaunchRoom();
    const launcher = launcherOf(room, { now: () => 123_456 });
    ackingDaemon(room, launcher);
    const result = await launcher.launch(room.principal, launchRequest(), call());
    expect(await room.store.getSessionById(String(result.payload.session_id))).toMatchObject({ createdAt: 123_456 });
  });

  it("reports a key it could not give back to its log", async () => {
    const room = await createLaunchRoom(); // m1 offline: the launch fails before anything starts
    const failure = new ConnectError("database error (idempotency key)", Code.Internal);
    room.store.releaseIdempotencyKey = async () => {
      throw failure;
    };
    const logged: unknown[] = [];
    const launcher = launcherOf(room, { log: (message, error) => logged.push(message, error) });
    await expectCode(launcher.launch(room.principal, launchRequest(), call({ idempotencyKey: "k" })), Code.Unavailable);
    expect(logged).toEqual([expect.stringContaining('releasing Idempotency-Key "k" failed'), failure]);
  });

  it("streams a launch: throws before the stream for a failed check, else yields its events to the terminal one", async () => {
    const room = await createLaunchRoom();
    const launcher = launcherOf(room);
    await expectCode(launcher.launchAndFollow(room.principal, launchRequest(), call()), Code.Unavailable);
    const daemon = room.daemon({
      onCommand: (c) =>
        launcher.acknowledge("m1", { commandId: c.commandId, status: "error", payload: { error: { code: "e", message: "m" } } }, new AbortController().signal),
    });
    const { session, events } = await launcher.launchAndFollow(room.principal, launchRequest(), call());
    const seen: SessionEventRecord[] = [];
    for await (const event of events) seen.push(event);
    expect(seen.map((e) => e.type)).toEqual(["accepted", "dispatched", "acknowledged", "failed"]);
    expect(seen.every((e) => e.sessionId === session.sessionId)).toBe(true);
    expect(sessionIdOf(daemon.commands[0]!)).toBe(session.sessionId);
  });

  it("ends a streamed launch with the dispatch's error when it fails", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    const { events } = await launcherOf(room, { launchDeadlineMs: 20 }).launchAndFollow(room.principal, launchRequest(), call());
    const types: string[] = [];
    const consumed = (async () => {
      for await (const event of events) types.push(event.type);
    })();
    await expectCode(consumed, Code.DeadlineExceeded);
    expect(types).toEqual(["accepted", "dispatched", "failed"]);
  });

  it("stops through the daemon, waiting stopSettleMs (not the 10 s default) for an exit that never comes", async () => {
    const room = await createLaunchRoom();
    const launcher = launcherOf(room, { stopSettleMs: 20 });
    room.daemon({
      onCommand: (c) => launcher.acknowledge("m1", { commandId: c.commandId, status: "ok", payload: {} }, new AbortController().signal),
    });
    const session = await room.addSession({ sessionId: "s-1", state: "running" });
    expect(await launcher.stop(session, { graceMs: 0, signal: new AbortController().signal, stoppedBy: "tok-1" })).toMatchObject({
      result: StopResult.STOPPED,
      session: { sessionId: "s-1", state: "running", stoppedBy: "tok-1" },
    });
  });

  it("applies a late acknowledgement through acknowledge", async () => {
    const room = await createLaunchRoom();
    await room.addSession({ sessionId: "s-1", state: "failed" });
    await room.store.createCommand(storedCommand("c-1", "s-1"));
    await launcherOf(room).acknowledge("m1", { commandId: "c-1", status: "ok", payload: { pid: 9 } }, new AbortController().signal);
    expect(await room.store.getSessionById("s-1")).toMatchObject({ state: "running", pid: 9 });
  });
});
