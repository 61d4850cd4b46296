import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { DaemonCommand } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import type { AcceptedLaunch } from "../../../server/launch/accept-launch.js";
import { dispatchLaunch } from "../../../server/launch/dispatch-launch.js";
import { pollUntil } from "../../support/poll-until.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { commandRequest, createLaunchRoom, type LaunchRoom, launchRequest, rejectionOf } from "./launch-fixtures.js";

const live = () => ({ signal: new AbortController().signal });

/** A room whose daemon answers every launch with `answer` (through the real Acknowledge path). */
async function roomAnswering(answer?: (command: DaemonCommand) => { status: "ok" | "error"; payload: JsonObject }) {
  const room = await createLaunchRoom();
  const daemon = room.daemon({
    onCommand: (command) => {
      const a = answer?.(command);
      return a && room.acknowledge(command.commandId, a.status, a.payload);
    },
  });
  return { room, daemon };
}

async function stateOf(room: LaunchRoom, launch: AcceptedLaunch) {
  return room.store.getSessionById(launch.session.sessionId);
}

async function typesOf(room: LaunchRoom, launch: AcceptedLaunch) {
  return (await room.store.listSessionEvents(launch.session.sessionId, 0)).map((e) => e.type);
}

describe("dispatchLaunch", () => {
  it("pushes the launch, and on an ok acknowledgement answers it with our ids first and records the session running", async () => {
    const { room, daemon } = await roomAnswering(() => ({ status: "ok", payload: { session_id: "forged", pid: 42, agent_session_id: "a-1" } }));
    const launch = await room.accept();
    const result = await dispatchLaunch(room.dispatchDeps(), launch, live());
    const { sessionId } = launch.session;
    expect(result).toEqual({ status: "ok", payload: { session_id: sessionId, workspace_id: "ws", machine_id: "m1", pid: 42, agent_session_id: "a-1" } });
    expect(Object.keys(result.payload).slice(0, 3)).toEqual(["session_id", "workspace_id", "machine_id"]);
    const [command] = daemon.commands;
    expect(command?.commandId).toBe(launch.commandId);
    expect(command?.kind.case === "launch" && command.kind.value).toMatchObject({ sessionId, workspaceId: "ws", request: commandRequest(launch) });
    expect(await stateOf(room, launch)).toMatchObject({ state: "running", pid: 42, agentSessionId: "a-1", acknowledgement: result });
    expect(await typesOf(room, launch)).toEqual(["accepted", "dispatched", "acknowledged"]);
  });

  it("writes dispatched a turn behind the push, once what the push queued in its own turn has run", async () => {
    const { room } = await roomAnswering();
    const launch = await room.accept(launchRequest(), undefined, 5_000);
    // A transport flushes the frames a push queued once the turn ends, as node:http2 does.
    let flushed = false;
    const send = room.hub.send.bind(room.hub);
    room.hub.send = async (machineId, command) => {
      const sent = await send(machineId, command);
      setImmediate(() => {
        flushed = true;
      });
      return sent;
    };
    const order: string[] = [];
    const moveSession = room.store.moveSession.bind(room.store);
    room.store.moveSession = (move, signal) => {
      order.push(`${move.patch.state} written, the push ${flushed ? "flushed" : "still queued"}`);
      return moveSession(move, signal);
    };
    const answered = dispatchLaunch(room.dispatchDeps(), launch, live());
    await pollUntil(() => order.length > 0, { timeoutMs: 2_000 });
    await room.acknowledge(launch.commandId, "ok", {});
    await answered;
    expect(order).toEqual(["dispatched written, the push flushed"]);
  });

  it("answers an error acknowledgement as the result and records the session failed with the daemon's code: message", async () => {
    const { room } = await roomAnswering(() => ({ status: "error", payload: { error: { code: "git_failed", message: "not a repository" } } }));
    const launch = await room.accept();
    const result = await dispatchLaunch(room.dispatchDeps(), launch, live());
    expect(result.status).toBe("error");
    expect(result.payload).toMatchObject({ session_id: launch.session.sessionId, error: { code: "git_failed", message: "not a repository" } });
    expect(await stateOf(room, launch)).toMatchObject({ state: "failed", errorMessage: "git_failed: not a repository" });
    expect(await typesOf(room, launch)).toEqual(["accepted", "dispatched", "acknowledged", "failed"]);
  });

  it("answers deadline_exceeded when no acknowledgement comes within the launch deadline, and records the session failed", async () => {
    const { room } = await roomAnswering();
    const launch = await room.accept(launchRequest(), undefined, 20);
    const error = await expectCode(dispatchLaunch(room.dispatchDeps(), launch, live()), Code.DeadlineExceeded);
    expect(error.rawMessage).toBe("machine m1 did not acknowledge the launch within 20 ms");
    expect(await stateOf(room, launch)).toMatchObject({ state: "failed", errorMessage: error.rawMessage });
    expect(await typesOf(room, launch)).toEqual(["accepted", "dispatched", "failed"]);
  });

  it("returns an acknowledgement recorded right at the deadline instead of an error", async () => {
    const { room } = await roomAnswering();
    const launch = await room.accept(launchRequest(), undefined, 20);
    // The Acknowledge call lands after the wait gave up, before the launch expires the command: it wins.
    const expireCommand = room.store.expireCommand.bind(room.store);
    room.store.expireCommand = async (commandId, now) => {
      await room.acknowledge(commandId, "ok", { pid: 8 });
      return expireCommand(commandId, now);
    };
    const result = await dispatchLaunch(room.dispatchDeps(), launch, live());
    expect(result).toEqual({ status: "ok", payload: { session_id: launch.session.sessionId, workspace_id: "ws", machine_id: "m1", pid: 8 } });
    expect(await stateOf(room, launch)).toMatchObject({ state: "running", pid: 8 });
    expect(await typesOf(room, launch)).toEqual(["accepted", "dispatched", "acknowledged"]);
  });

  it("answers unavailable and records the session failed when the daemon is gone at the push", async () => {
    const { room, daemon } = await roomAnswering(() => ({ status: "ok", payload: {} }));
    const launch = await room.accept();
    await daemon.disconnect();
    const error = await expectCode(dispatchLaunch(room.dispatchDeps(), launch, live()), Code.Unavailable);
    expect(error.rawMessage).toBe("machine m1 is offline: no daemon is connected");
    expect(await stateOf(room, launch)).toMatchObject({ state: "failed", errorMessage: error.rawMessage });
    expect(await typesOf(room, launch)).toEqual(["accepted", "failed"]);
  });

  it("gives up the command of a launch answered unavailable, so a daemon that subscribes before its deadline does not get it", async () => {
    const { room, daemon } = await roomAnswering(() => ({ status: "ok", payload: {} }));
    const launch = await room.accept();
    await daemon.disconnect();
    await expectCode(dispatchLaunch(room.dispatchDeps(), launch, live()), Code.Unavailable);
    expect((await room.store.getCommand(launch.commandId))?.ackStatus).toBe("expired");
    expect(await room.store.listPendingCommands("m1", Date.now())).toEqual([]);
  });

  it("waits as long as the accept said, the wait the command's stored deadline was set from", async () => {
    const { room } = await roomAnswering();
    const launch = await room.accept(launchRequest(), undefined, 20);
    const error = await expectCode(dispatchLaunch(room.dispatchDeps(), launch, live()), Code.DeadlineExceeded);
    expect(error.rawMessage).toBe("machine m1 did not acknowledge the launch within 20 ms");
    const stored = await room.store.getCommand(launch.commandId);
    expect(stored?.deadlineAt).toBe(launch.session.updatedAt + 20);
  });

  it("lets a caller who aborts leave with its reason, while the session still settles and the key still gets the outcome", async () => {
    const { room, daemon } = await roomAnswering();
    const launch = await room.accept(launchRequest(), "k", 1_000);
    const caller = new AbortController();
    const dispatched = dispatchLaunch(room.dispatchDeps(), launch, { signal: caller.signal });
    const command = await daemon.nextCommand();
    const reason = new ConnectError("the caller left", Code.Canceled);
    caller.abort(reason);
    expect(await rejectionOf(dispatched)).toBe(reason);
    await room.acknowledge(command.commandId, "ok", { pid: 5 });
    const replay = await pollUntil(() => room.keys.claim("token-1", "k", launchRequest()).catch(() => undefined), {
      timeoutMs: 1_000,
      intervalMs: 2,
      what: "the key's outcome",
    });
    expect(replay).toMatchObject({ kind: "replay", sessionId: launch.session.sessionId, result: { status: "ok", payload: { pid: 5 } } });
    expect(await stateOf(room, launch)).toMatchObject({ state: "running", pid: 5 });
  });

  it("stores an ok result under the key before it answers, so a retry replays it", async () => {
    const { room } = await roomAnswering(() => ({ status: "ok", payload: { pid: 1 } }));
    const launch = await room.accept(launchRequest(), "k");
    const result = await dispatchLaunch(room.dispatchDeps(), launch, live());
    expect(await room.keys.claim("token-1", "k", launchRequest())).toEqual({ kind: "replay", sessionId: launch.session.sessionId, result });
  });

  it("stores an error outcome under the key before it throws, so a retry gets the same code and message", async () => {
    const { room } = await roomAnswering();
    const launch = await room.accept(launchRequest(), "k", 20);
    const error = await expectCode(dispatchLaunch(room.dispatchDeps(), launch, live()), Code.DeadlineExceeded);
    const again = await expectCode(room.keys.claim("token-1", "k", launchRequest()), Code.DeadlineExceeded);
    expect(again.rawMessage).toBe(error.rawMessage);
  });

  it("logs an outcome it could not store and gives the key back, so a retry runs again", async () => {
    const { room } = await roomAnswering(() => ({ status: "ok", payload: {} }));
    const failure = new ConnectError("database error (idempotency key)", Code.Internal);
    room.store.completeIdempotencyKey = async () => {
      throw failure;
    };
    const launch = await room.accept(launchRequest(), "k");
    expect((await dispatchLaunch(room.dispatchDeps(), launch, live())).status).toBe("ok");
    expect(room.logged).toEqual([{ message: 'storing the outcome of Idempotency-Key "k" failed', error: failure }]);
    expect(await room.keys.claim("token-1", "k", launchRequest())).toMatchObject({ kind: "claimed" });
  });

  it("answers a replay's first result without pushing anything", async () => {
    const { room } = await roomAnswering(() => ({ status: "ok", payload: {} }));
    const launch = await room.accept();
    const replay = { status: "ok", payload: { session_id: launch.session.sessionId, pid: 1 } };
    expect(await dispatchLaunch(room.dispatchDeps(), { ...launch, replay }, live())).toBe(replay);
    expect(await typesOf(room, launch)).toEqual(["accepted"]);
  });

  it("logs a failure it could not record and still throws the launch's own error", async () => {
    const { room } = await roomAnswering();
    const launch = await room.accept(launchRequest(), undefined, 20);
    const broken = new ConnectError("database error (session)", Code.Internal);
    const moveSession = room.store.moveSession.bind(room.store);
    room.store.moveSession = async (move, signal) => {
      if (move.patch.state === "failed") throw broken;
      return moveSession(move, signal);
    };
    await expectCode(dispatchLaunch(room.dispatchDeps(), launch, live()), Code.DeadlineExceeded);
    expect(room.logged).toEqual([{ message: `recording the failure of session ${launch.session.sessionId} failed`, error: broken }]);
    expect((await stateOf(room, launch))?.state).toBe("dispatched");
  });
});
