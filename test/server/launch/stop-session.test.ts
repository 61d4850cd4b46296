import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { DaemonCommand } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { StopResult } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import type { CommandSender } from "../../../server/launch/create-command-sender.js";
import { type StopDeps, stopSession } from "../../../server/launch/stop-session.js";
import type { SessionRecord } from "../../../server/store/store.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { createLaunchRoom, deferred, type LaunchRoom, rejectionOf } from "./launch-fixtures.js";

/** The room's real sender, minding every command handed to it. */
function deps(room: LaunchRoom, settleMs: number): StopDeps & { sent: DaemonCommand[] } {
  const sent: DaemonCommand[] = [];
  const sender: CommandSender = {
    send(machineId, command, options) {
      sent.push(command);
      return room.sender.send(machineId, command, options);
    },
  };
  return { store: room.store, hub: room.hub, events: room.events, sender, lifecycle: room.lifecycle, settleMs, sent };
}

const call = (graceMs = 0) => ({ graceMs, signal: new AbortController().signal, stoppedBy: "tok-alice" });

async function runningSession(room: LaunchRoom): Promise<SessionRecord> {
  return room.addSession({ sessionId: "s-1", state: "running", pid: 7 });
}

/** A daemon that answers each stop with `status`/`payload`, then does `after` (for example, reports the exit). */
function stoppingDaemon(room: LaunchRoom, status: "ok" | "error", payload: JsonObject, after?: () => Promise<unknown>) {
  return room.daemon({
    onCommand: async (command) => {
      if (command.kind.case !== "stop") return;
      await room.acknowledge(command.commandId, status, payload);
      await after?.();
    },
  });
}

describe("stopSession", () => {
  it.each(["exited", "failed", "stopped"] as const)("answers ALREADY_EXITED for a session already %s, sending nothing", async (state) => {
    const room = await createLaunchRoom();
    room.daemon();
    const session = await room.addSession({ sessionId: "s-1", state });
    const d = deps(room, 1_000);
    expect(await stopSession(d, session, call())).toEqual({ result: StopResult.ALREADY_EXITED, session });
    expect(d.sent).toEqual([]);
  });

  it("answers MACHINE_OFFLINE when no daemon is connected, sending nothing", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    const d = deps(room, 1_000);
    expect(await stopSession(d, session, call())).toEqual({ result: StopResult.MACHINE_OFFLINE, session });
    expect(d.sent).toEqual([]);
  });

  it("answers MACHINE_OFFLINE when the daemon goes away between the check and the push", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    const daemon = room.daemon();
    const gone = daemon.disconnect(); // the stream is closed at once; the hub lets it go a little later
    expect(await room.hub.isOnline("m1")).toBe(true);
    const d = deps(room, 1_000);
    const answer = await stopSession(d, session, call());
    expect(answer).toMatchObject({ result: StopResult.MACHINE_OFFLINE, session: { state: "running", stoppedBy: "", stopTime: 0 } });
    expect(d.sent).toHaveLength(1);
    // Nothing was stopped: the stop is withdrawn, so the agent's own end is what it was.
    expect(await room.store.getSessionById("s-1")).toMatchObject({ state: "running", stoppedBy: "", stopTime: 0 });
    await gone;
  });

  it("sends a stop with the grace, and after an ok acknowledgement and the exit report answers STOPPED with the stopped session", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    const daemon = stoppingDaemon(room, "ok", { result: "stopped" }, () =>
      room.lifecycle.reported(session, { state: "exited", exitCode: 143, message: "terminated", pid: 0 }),
    );
    const stopped = await stopSession(deps(room, 1_000), session, call(1_500));
    expect(stopped.result).toBe(StopResult.STOPPED);
    expect(stopped.session).toMatchObject({ sessionId: "s-1", state: "stopped", exitCode: 143, pid: 0, stoppedBy: "tok-alice" });
    expect(stopped.session.stopTime).toBeGreaterThan(0);
    const [command] = daemon.commands;
    expect(command?.kind.case).toBe("stop");
    expect(command?.kind.value).toMatchObject({ sessionId: "s-1", grace: { seconds: 1n, nanos: 500_000_000 } });
    expect(await room.store.getCommand(command!.commandId)).toMatchObject({ kind: "stop", sessionId: "s-1", ackStatus: "ok" });
  });

  it("carries the call's request id in the stop command, for the daemon's logs", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    const daemon = stoppingDaemon(room, "ok", { result: "stopped" }, () =>
      room.lifecycle.reported(session, { state: "exited", exitCode: 143, message: "terminated", pid: 0 }),
    );
    await stopSession(deps(room, 1_000), session, { ...call(), requestId: "req-stop-1" });
    expect(daemon.commands.map((c) => c.requestId)).toEqual(["req-stop-1"]);
  });

  it("waits, after the acknowledgement, for an exit that is reported only then", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    stoppingDaemon(room, "ok", {});
    const following = deferred<void>();
    const d = deps(room, 1_000);
    d.events = {
      ...room.events,
      follow(sessionId, afterSequence, signal) {
        following.resolve();
        return room.events.follow(sessionId, afterSequence, signal);
      },
    };
    const stopping = stopSession(d, session, call());
    await following.promise;
    await room.lifecycle.reported(session, { state: "exited", exitCode: 0, message: "", pid: 0 });
    expect(await stopping).toMatchObject({ result: StopResult.STOPPED, session: { state: "stopped", exitCode: 0 } });
  });

  it("waits for this run's exit on a reused session, not the last run's exit in its history", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    const history = [
      ["accepted", "pending"],
      ["exited", "exited"],
      ["accepted", "pending"],
      ["acknowledged", "running"],
    ] as const;
    await room.appendHistory("s-1", history);
    stoppingDaemon(room, "ok", {});
    // Tells when the stop asks for an event past the stored history: it is waiting for the exit.
    const waitingForExit = deferred<void>();
    const d = deps(room, 1_000);
    d.events = {
      ...room.events,
      async *follow(sessionId, afterSequence, signal) {
        const it = room.events.follow(sessionId, afterSequence, signal)[Symbol.asyncIterator]();
        for (let sequence = afterSequence; ; sequence++) {
          if (sequence >= history.length) waitingForExit.resolve();
          const next = await it.next();
          if (next.done) return;
          yield next.value;
        }
      },
    };
    const stopping = stopSession(d, session, call());
    await Promise.race([stopping, waitingForExit.promise]);
    await room.lifecycle.reported(session, { state: "exited", exitCode: 143, message: "", pid: 0 });
    expect(await stopping).toMatchObject({ result: StopResult.STOPPED, session: { state: "stopped", exitCode: 143 } });
  });

  it("answers with the stored session when the exit does not land within the settle time", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    stoppingDaemon(room, "ok", {});
    const stopped = await stopSession(deps(room, 20), session, call());
    expect(stopped).toMatchObject({ result: StopResult.STOPPED, session: { sessionId: "s-1", state: "running", stoppedBy: "tok-alice" } });
    // The stop stays recorded: the end reported later is still the stop's.
    await room.lifecycle.reported(session, { state: "exited", exitCode: 0, message: "", pid: 0 });
    expect(await room.store.getSessionById("s-1")).toMatchObject({ state: "stopped", stoppedBy: "tok-alice" });
  });

  it("ends stopped when the daemon reports the agent killed by the stop's signal", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    const message = "agent was killed by SIGKILL after a stop request";
    stoppingDaemon(room, "ok", { result: "stopped" }, () => room.lifecycle.reported(session, { state: "failed", message, pid: 0 }));
    const stopped = await stopSession(deps(room, 1_000), session, call());
    expect(stopped).toMatchObject({ result: StopResult.STOPPED, session: { state: "stopped", errorMessage: "", stoppedBy: "tok-alice" } });
    const events = await room.store.listSessionEvents("s-1", 0);
    expect(events.at(-1)).toMatchObject({ type: "stopped", state: "stopped", message: `stopped by tok-alice; ${message}` });
  });

  it("records who asked for the stop before the daemon gets it", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    const seen: unknown[] = [];
    stoppingDaemon(room, "ok", { result: "stopped" }, async () => {
      seen.push(await room.store.getSessionById("s-1"));
      return room.lifecycle.reported(session, { state: "exited", exitCode: 0, message: "", pid: 0 });
    });
    await stopSession(deps(room, 1_000), session, call());
    expect(seen).toEqual([expect.objectContaining({ state: "running", stoppedBy: "tok-alice" })]);
  });

  it("answers ALREADY_EXITED, sending nothing, when the session ended between the read and the record", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    room.daemon();
    await room.lifecycle.reported(session, { state: "exited", exitCode: 0, message: "", pid: 0 });
    const d = deps(room, 1_000);
    const answer = await stopSession(d, session, call());
    expect(answer).toMatchObject({ result: StopResult.ALREADY_EXITED, session: { state: "exited", stoppedBy: "" } });
    expect(d.sent).toEqual([]);
  });

  it("answers deadline_exceeded when the daemon does not acknowledge within grace and settle", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    room.daemon();
    const error = await expectCode(stopSession(deps(room, 20), session, call()), Code.DeadlineExceeded);
    expect(error.rawMessage).toBe("machine m1 did not confirm the stop in time");
  });

  it("answers internal when the daemon acknowledges the stop with an error", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    stoppingDaemon(room, "error", { error: { code: "kill_failed", message: "EPERM" } });
    await expectCode(stopSession(deps(room, 1_000), session, call()), Code.Internal, /machine m1 could not stop the session/);
    // Nothing was stopped: the request is withdrawn, so the agent's own end later is `exited`.
    expect(await room.store.getSessionById("s-1")).toMatchObject({ state: "running", stoppedBy: "", stopTime: 0 });
  });

  it("answers ALREADY_EXITED with the exited session when the daemon had no agent, its end landing after the answer", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    stoppingDaemon(room, "ok", { result: "already_exited" }, () =>
      room.lifecycle.reported(session, { state: "exited", exitCode: 0, message: "", pid: 0 }),
    );
    const stopped = await stopSession(deps(room, 1_000), session, call());
    expect(stopped).toMatchObject({ result: StopResult.ALREADY_EXITED, session: { state: "exited", stoppedBy: "", stopTime: 0 } });
  });

  it("answers STOPPED when the agent's own end landed while the stop was recorded, before the daemon's already_exited", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    room.daemon({
      onCommand: async (command) => {
        if (command.kind.case !== "stop") return;
        await room.lifecycle.reported(session, { state: "exited", exitCode: 0, message: "", pid: 0 });
        await room.acknowledge(command.commandId, "ok", { result: "already_exited" });
      },
    });
    const stopped = await stopSession(deps(room, 1_000), session, call());
    expect(stopped).toMatchObject({ result: StopResult.STOPPED, session: { state: "stopped", stoppedBy: "tok-alice" } });
  });

  it("rejects with the caller's reason when the caller leaves before the daemon answers", async () => {
    const room = await createLaunchRoom();
    const session = await runningSession(room);
    const daemon = room.daemon();
    const caller = new AbortController();
    const stopping = stopSession(deps(room, 1_000), session, { graceMs: 0, signal: caller.signal, stoppedBy: "tok-alice" });
    await daemon.nextCommand();
    const reason = new ConnectError("the caller left", Code.Canceled);
    caller.abort(reason);
    expect(await rejectionOf(stopping)).toBe(reason);
  });
});
