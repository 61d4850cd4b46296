import { describe, expect, it } from "vitest";
import { deliverPermissionDecision } from "../../../server/launch/deliver-permission-decision.js";
import { pendingRequest } from "./approval-fixtures.js";
import { createLaunchRoom, type LaunchRoom } from "./launch-fixtures.js";

async function decidedRoom(): Promise<{ room: LaunchRoom; deliver: (timeoutMs?: number) => ReturnType<typeof deliverPermissionDecision> }> {
  const room = await createLaunchRoom();
  await room.addSession({ sessionId: "s-1", state: "running" });
  await room.store.createPermissionRequest(pendingRequest("prq_1"));
  const decided = await room.store.decidePermissionRequest({
    sessionId: "s-1",
    requestId: "prq_1",
    decision: "allow",
    decidedBy: "tok_a",
    message: "",
    remember: false,
    delivered: false,
    now: 5,
  });
  const deliver = (timeoutMs = 2_000) => deliverPermissionDecision({ sender: room.sender, timeoutMs, log: room.log }, decided!.request);
  return { room, deliver };
}

describe("deliverPermissionDecision", () => {
  it("pushes the decision as a permission_answer and marks it delivered on the daemon's ok", async () => {
    const { room, deliver } = await decidedRoom();
    const daemon = room.daemon({ onCommand: (c) => room.acknowledge(c.commandId, "ok") });
    expect(await deliver()).toBe("delivered");
    const [command] = daemon.commands;
    expect(command?.kind.case).toBe("permissionAnswer");
    if (command?.kind.case !== "permissionAnswer") return;
    expect(command.kind.value.sessionId).toBe("s-1");
    expect(command.kind.value.request).toMatchObject({ requestId: "prq_1", decision: "allow", decidedBy: "tok_a" });
    expect((await room.store.getCommand(command.commandId))?.kind).toBe("permission_answer");
    expect((await room.store.getPermissionRequest("s-1", "prq_1"))?.delivered).toBe(true);
  });

  it("leaves it undelivered when the daemon refuses it, and logs why", async () => {
    const { room, deliver } = await decidedRoom();
    room.daemon({ onCommand: (c) => room.acknowledge(c.commandId, "error", { error: { code: "request_not_found" } }) });
    expect(await deliver()).toBe("refused");
    expect((await room.store.getPermissionRequest("s-1", "prq_1"))?.delivered).toBe(false);
    expect(room.logged.map((l) => l.message).join("\n")).toContain("request_not_found");
  });

  it("keeps the command of an offline machine recorded, so a stream that opens before its deadline gets it", async () => {
    const { room, deliver } = await decidedRoom();
    expect(await deliver()).toBe("offline");
    const pending = await room.store.listPendingCommands("m1", Date.now());
    expect(pending.map((c) => c.kind)).toEqual(["permission_answer"]);
    const daemon = room.daemon();
    expect((await daemon.nextCommand()).kind.case).toBe("permissionAnswer");
  });

  it("tells a daemon that never answers apart, and a late ok still marks it delivered", async () => {
    const { room, deliver } = await decidedRoom();
    const daemon = room.daemon();
    expect(await deliver(30)).toBe("unanswered");
    await room.acknowledge((await daemon.nextCommand()).commandId, "ok");
    expect((await room.store.getPermissionRequest("s-1", "prq_1"))?.delivered).toBe(true);
  });
});
