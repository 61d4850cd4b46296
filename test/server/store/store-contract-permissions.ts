import { Code } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import type { NewPermissionRequest, PermissionDecisionWrite, Store } from "../../../server/store/store.js";
import { defaultWorkspacePermissions } from "../../../server/store/store.js";
import { event, expectCode, session } from "./store-contract-fixtures.js";

/** A pending request of session `s-1` (on `m-1` in `ws-1`). */
function request(init: Partial<NewPermissionRequest> & { requestId: string }): NewPermissionRequest {
  return {
    sessionId: "s-1",
    workspaceId: "ws-1",
    machineId: "m-1",
    toolName: "Bash",
    input: { command: "npm test" },
    reason: "",
    toolUseId: "",
    createdAt: 1_000,
    expireAt: 61_000,
    ...init,
  };
}

function decision(init: Partial<PermissionDecisionWrite> & { requestId: string }): PermissionDecisionWrite {
  return { sessionId: "s-1", decision: "allow", decidedBy: "tok_a", message: "", remember: false, delivered: false, now: 2_000, ...init };
}

/** The contract's permission part: workspace settings, requests decided once, rules. */
export function describePermissions(getStore: () => Store): void {
  describe("permissions", () => {
    let store: Store;
    beforeEach(async () => {
      store = getStore();
      await store.createSession(session({ sessionId: "s-1", state: "running" }));
    });

    it("gives a workspace the default settings, keeps those given at creation and updates some", async () => {
      expect((await store.getWorkspace("ws-1"))?.permissions).toEqual(defaultWorkspacePermissions);
      const created = await store.createWorkspace("ws-3", 1, { ceiling: "accept_edits", approvalTimeoutMs: 5_000 });
      expect(created.permissions).toEqual({ ...defaultWorkspacePermissions, ceiling: "accept_edits", approvalTimeoutMs: 5_000 });
      const updated = await store.updateWorkspacePermissions("ws-3", { defaultMode: "plan", defaultDecision: "allow" });
      expect(updated?.permissions).toEqual({ defaultMode: "plan", ceiling: "accept_edits", approvalTimeoutMs: 5_000, defaultDecision: "allow" });
      expect((await store.listWorkspaces()).find((w) => w.workspaceId === "ws-3")?.permissions).toEqual(updated?.permissions);
      expect(await store.updateWorkspacePermissions("ghost", { ceiling: "plan" })).toBeUndefined();
    });

    it("stores a request once per session and id, pending", async () => {
      const first = await store.createPermissionRequest(request({ requestId: "prq_1", reason: "run the tests", toolUseId: "tu_1" }));
      expect(first.created).toBe(true);
      expect(first.request).toEqual({
        ...request({ requestId: "prq_1", reason: "run the tests", toolUseId: "tu_1" }),
        decision: "",
        decidedBy: "",
        decidedAt: undefined,
        message: "",
        updatedInput: undefined,
        remember: false,
        delivered: false,
      });
      const again = await store.createPermissionRequest(request({ requestId: "prq_1", toolName: "Edit" }));
      expect(again).toEqual({ request: first.request, created: false });
      expect(await store.getPermissionRequest("s-1", "prq_1")).toEqual(first.request);
      expect(await store.getPermissionRequest("s-1", "prq_9")).toBeUndefined();
    });

    it("refuses a request of a missing session with failed_precondition", async () => {
      await expectCode(store.createPermissionRequest(request({ requestId: "prq_1", sessionId: "ghost" })), Code.FailedPrecondition);
    });

    it("lists pending requests of a workspace or one session, oldest first", async () => {
      await store.createSession(session({ sessionId: "s-2", state: "running" }));
      await store.createPermissionRequest(request({ requestId: "prq_b", createdAt: 3 }));
      await store.createPermissionRequest(request({ requestId: "prq_a", createdAt: 3 }));
      await store.createPermissionRequest(request({ requestId: "prq_c", sessionId: "s-2", createdAt: 2 }));
      await store.createPermissionRequest(request({ requestId: "prq_d", createdAt: 4 }));
      await store.decidePermissionRequest(decision({ requestId: "prq_d" }));
      const ids = (list: { requestId: string }[]) => list.map((r) => r.requestId);
      expect(ids(await store.listPendingPermissionRequests({ workspaceId: "ws-1" }))).toEqual(["prq_c", "prq_a", "prq_b"]);
      expect(ids(await store.listPendingPermissionRequests({ workspaceId: "ws-1", sessionId: "s-1" }))).toEqual(["prq_a", "prq_b"]);
      expect(await store.listPendingPermissionRequests({ workspaceId: "ws-2" })).toEqual([]);
    });

    it("decides a request once: the second decision gets the first one's record", async () => {
      await store.createPermissionRequest(request({ requestId: "prq_1" }));
      const won = await store.decidePermissionRequest(
        decision({ requestId: "prq_1", decision: "allow", updatedInput: { command: "npm test -- -x" }, message: "ok", remember: true }),
      );
      expect(won?.decided).toBe(true);
      expect(won?.request).toMatchObject({
        decision: "allow",
        decidedBy: "tok_a",
        decidedAt: 2_000,
        message: "ok",
        updatedInput: { command: "npm test -- -x" },
        remember: true,
        delivered: false,
      });
      const lost = await store.decidePermissionRequest(decision({ requestId: "prq_1", decision: "deny", decidedBy: "tok_b", now: 3_000 }));
      expect(lost).toEqual({ request: won?.request, decided: false });
      expect(await store.decidePermissionRequest(decision({ requestId: "prq_9" }))).toBeUndefined();
    });

    it("lets exactly one of many decisions at once win", async () => {
      await store.createPermissionRequest(request({ requestId: "prq_1" }));
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.decidePermissionRequest(decision({ requestId: "prq_1", decision: i % 2 ? "allow" : "deny", decidedBy: `tok_${i}` })),
        ),
      );
      const winners = results.filter((r) => r?.decided);
      expect(winners).toHaveLength(1);
      for (const r of results) expect(r?.request.decidedBy).toBe(winners[0]?.request.decidedBy);
    });

    it("stores the rule of a winning decision only", async () => {
      await store.createPermissionRequest(request({ requestId: "prq_1" }));
      await store.decidePermissionRequest(decision({ requestId: "prq_1", remember: true, rule: { toolName: "Bash", prefix: "npm" }, now: 5 }));
      await store.decidePermissionRequest(decision({ requestId: "prq_1", remember: true, rule: { toolName: "Edit", prefix: "" } }));
      expect(await store.listPermissionRules("s-1")).toEqual([{ sessionId: "s-1", toolName: "Bash", prefix: "npm", createdAt: 5 }]);
      expect(await store.listPermissionRules("s-2")).toEqual([]);
    });

    it("marks a decided request delivered, and lists the undelivered ones of a machine's live sessions", async () => {
      await store.createSession(session({ sessionId: "s-2", state: "exited" }));
      await store.createPermissionRequest(request({ requestId: "prq_1" }));
      await store.createPermissionRequest(request({ requestId: "prq_2" }));
      await store.createPermissionRequest(request({ requestId: "prq_3", sessionId: "s-2" }));
      expect(await store.markPermissionDelivered("s-1", "prq_1")).toBe(false);
      await store.decidePermissionRequest(decision({ requestId: "prq_2", now: 10 }));
      await store.decidePermissionRequest(decision({ requestId: "prq_1", now: 20 }));
      await store.decidePermissionRequest(decision({ requestId: "prq_3", sessionId: "s-2", now: 5 }));
      const live = ["running", "awaiting_approval"] as const;
      const ids = async () => (await store.listUndeliveredPermissionDecisions("m-1", live)).map((r) => r.requestId);
      expect(await ids()).toEqual(["prq_2", "prq_1"]);
      expect(await store.markPermissionDelivered("s-1", "prq_2")).toBe(true);
      expect((await store.getPermissionRequest("s-1", "prq_2"))?.delivered).toBe(true);
      expect(await ids()).toEqual(["prq_1"]);
      expect(await store.listUndeliveredPermissionDecisions("m-2", live)).toEqual([]);
    });

    it("lists pending requests past their expiry, soonest first", async () => {
      await store.createPermissionRequest(request({ requestId: "prq_late", expireAt: 300 }));
      await store.createPermissionRequest(request({ requestId: "prq_soon", expireAt: 100 }));
      await store.createPermissionRequest(request({ requestId: "prq_later", expireAt: 900 }));
      await store.createPermissionRequest(request({ requestId: "prq_done", expireAt: 50 }));
      await store.decidePermissionRequest(decision({ requestId: "prq_done" }));
      expect((await store.listExpiredPermissionRequests(300, 10)).map((r) => r.requestId)).toEqual(["prq_soon", "prq_late"]);
      expect((await store.listExpiredPermissionRequests(300, 1)).map((r) => r.requestId)).toEqual(["prq_soon"]);
    });

    it("keeps the entry of a state event", async () => {
      const entry = { offset: 0, role: "system" as const, kind: "permission_request" as const, text: "", toolName: "Bash", permissionRequest: { requestId: "prq_1" } };
      const appended = await store.appendSessionEvent({ ...event("s-1"), type: "awaiting_approval", state: "awaiting_approval", entry });
      const [stored] = await store.listSessionEvents("s-1", appended.sequence - 1);
      expect(stored?.entry).toEqual(entry);
    });
  });
}
