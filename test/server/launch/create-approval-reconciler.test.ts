import { describe, expect, it } from "vitest";
import { createApprovalReconciler } from "../../../server/launch/create-approval-reconciler.js";
import { pollUntil } from "../../support/poll-until.js";
import { createApprovalRoom, pendingRequest } from "./approval-fixtures.js";

describe("createApprovalReconciler", () => {
  it("decides requests past their expiry with the workspace's default decision, by timeout, and leaves the others", async () => {
    const { room, approvals } = await createApprovalRoom();
    await room.store.updateWorkspacePermissions("ws", { defaultDecision: "allow" });
    await room.store.createPermissionRequest(pendingRequest("prq_old", { createdAt: 1, expireAt: 90_001 }));
    await room.store.createPermissionRequest(pendingRequest("prq_new", { expireAt: Date.now() + 60_000 }));
    const reconciler = createApprovalReconciler({ store: room.store, approvals, log: room.log, now: Date.now });
    expect(await reconciler.sweep()).toBe(1);
    const decided = await room.store.getPermissionRequest("s-1", "prq_old");
    expect(decided).toMatchObject({ decision: "allow", decidedBy: "timeout" });
    expect(decided?.message).toBe("nobody answered within 1 min 30 s: the workspace's default decision (allow) applies");
    expect((await room.store.getPermissionRequest("s-1", "prq_new"))?.decision).toBe("");
    expect(await reconciler.sweep()).toBe(0);
  });

  it("decides each request once when two replicas sweep at the same time", async () => {
    const { room, approvals } = await createApprovalRoom();
    for (const id of ["prq_1", "prq_2", "prq_3"]) await room.store.createPermissionRequest(pendingRequest(id, { expireAt: 10 }));
    const sweepers = [1, 2].map(() => createApprovalReconciler({ store: room.store, approvals, log: room.log, now: Date.now }));
    const counts = await Promise.all(sweepers.map((r) => r.sweep()));
    expect(counts[0]! + counts[1]!).toBe(3);
    expect(await room.store.listPendingPermissionRequests({ workspaceId: "ws" })).toEqual([]);
  });

  it("sweeps on its timer once started", async () => {
    const { room, approvals } = await createApprovalRoom();
    const reconciler = createApprovalReconciler({ store: room.store, approvals, log: room.log, now: Date.now, intervalMs: 10 });
    reconciler.start();
    try {
      await room.store.createPermissionRequest(pendingRequest("prq_1", { expireAt: Date.now() + 20 }));
      await pollUntil(async () => (await room.store.getPermissionRequest("s-1", "prq_1"))?.decision === "deny", { what: "the sweep" });
    } finally {
      reconciler.close();
    }
  });
});
