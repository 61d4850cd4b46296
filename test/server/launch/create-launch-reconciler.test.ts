import { Code } from "@connectrpc/connect";
import { pollUntil } from "../../support/poll-until.js";
import { describe, expect, it } from "vitest";
import { createLaunchReconciler } from "../../../server/launch/create-launch-reconciler.js";
import { createLaunchRoom, type LaunchRoom, storedCommand } from "./launch-fixtures.js";

const deadline = 1_000;

function reconcilerOf(room: LaunchRoom, now = () => 100_000) {
  return createLaunchReconciler({ ...room, launchDeadlineMs: deadline, log: room.log, now });
}

describe("createLaunchReconciler", () => {
  it("expires launches unacknowledged past their deadline and fails their sessions, once", async () => {
    const room = await createLaunchRoom();
    await room.addSession({ sessionId: "s-1", state: "dispatched", updatedAt: 99_500 });
    await room.store.createCommand(storedCommand("c-1", "s-1", "launch", 99_900));
    const reconciler = reconcilerOf(room);
    expect(await reconciler.sweep()).toEqual({ expiredCommands: 1, failedSessions: 0, settledKeys: 0 });
    expect(await room.store.getSessionById("s-1")).toMatchObject({ state: "failed", errorMessage: expect.stringContaining("before its deadline") });
    expect((await room.store.getCommand("c-1"))?.ackStatus).toBe("expired");
    expect(await reconciler.sweep()).toEqual({ expiredCommands: 0, failedSessions: 0, settledKeys: 0 });
  });

  it("leaves a launch whose acknowledgement came in alone, and one still within its deadline", async () => {
    const room = await createLaunchRoom();
    await room.addSession({ sessionId: "acked", state: "running", updatedAt: 1 });
    await room.store.createCommand(storedCommand("c-acked", "acked", "launch", 50_000));
    await room.store.recordAck({ commandId: "c-acked", machineId: "m1", status: "ok", payload: {}, now: 2 });
    await room.addSession({ sessionId: "waiting", state: "dispatched", updatedAt: 99_900 });
    await room.store.createCommand(storedCommand("c-waiting", "waiting", "launch", 100_500));
    expect(await reconcilerOf(room).sweep()).toEqual({ expiredCommands: 0, failedSessions: 0, settledKeys: 0 });
    expect((await room.store.getSessionById("waiting"))?.state).toBe("dispatched");
  });

  it("fails sessions left pending or dispatched with nothing to settle them for twice the deadline", async () => {
    const room = await createLaunchRoom();
    await room.addSession({ sessionId: "stuck", state: "pending", updatedAt: 100_000 - 2 * deadline - 1 });
    await room.addSession({ sessionId: "young", state: "pending", updatedAt: 100_000 - deadline });
    expect((await reconcilerOf(room).sweep()).failedSessions).toBe(1);
    expect((await room.store.getSessionById("stuck"))?.state).toBe("failed");
    expect((await room.store.getSessionById("young"))?.state).toBe("pending");
  });

  it("settles Idempotency-Keys a crashed server left in progress: from the session's answer, its failure, or by releasing them", async () => {
    const room = await createLaunchRoom();
    const old = 100_000 - 3 * deadline;
    const result = { status: "ok", payload: { session_id: "ok", workspace_id: "ws", machine_id: "m1", pid: 4 } };
    await room.addSession({ sessionId: "ok", state: "running", acknowledgement: result });
    await room.addSession({ sessionId: "bad", state: "failed", errorMessage: "machine m1 did not acknowledge" });
    for (const [key, sessionId] of [["k-ok", "ok"], ["k-bad", "bad"], ["k-none", ""]] as const) {
      await room.store.claimIdempotencyKey({ tokenId: "token-1", key, sessionId: "", requestHash: "h", now: old });
      if (sessionId) await room.store.bindIdempotencyKey("token-1", key, sessionId);
    }
    expect((await reconcilerOf(room).sweep()).settledKeys).toBe(3);
    const claim = (key: string) => room.store.claimIdempotencyKey({ tokenId: "token-1", key, sessionId: "", requestHash: "h", now: 1 });
    expect((await claim("k-ok"))?.outcome).toEqual({ result });
    expect((await claim("k-bad"))?.outcome).toEqual({ error: { code: Code.DeadlineExceeded, message: "machine m1 did not acknowledge" } });
    expect(await claim("k-none")).toBeUndefined();
  });

  it("stops the agents a reconnecting daemon still runs for sessions that are finished here, and no others", async () => {
    const room = await createLaunchRoom();
    await room.addSession({ sessionId: "done", state: "failed" });
    await room.addSession({ sessionId: "live", state: "running" });
    const daemon = room.daemon();
    const stopped = await reconcilerOf(room, Date.now).reconcileMachine("m1", [{ sessionId: "done" }, { sessionId: "live" }, { sessionId: "ghost" }]);
    expect(stopped).toBe(1);
    const command = await daemon.nextCommand();
    expect(command.kind.case === "stop" && command.kind.value.sessionId).toBe("done");
    expect(room.logged.map((l) => l.message).join("\n")).toContain("ghost");
  });

  it("sweeps at start and on its interval until closed", async () => {
    const room = await createLaunchRoom();
    await room.addSession({ sessionId: "s-1", state: "dispatched" });
    await room.store.createCommand(storedCommand("c-1", "s-1", "launch", 1));
    const reconciler = createLaunchReconciler({ ...room, launchDeadlineMs: deadline, intervalMs: 10, log: room.log, now: Date.now });
    reconciler.start();
    try {
      await pollUntil(async () => (await room.store.getSessionById("s-1"))?.state === "failed");
    } finally {
      reconciler.close();
    }
  });
});
