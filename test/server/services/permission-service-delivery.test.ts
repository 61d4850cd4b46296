import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { pollUntil } from "../../support/poll-until.js";
import { append, type ApprovalEnv, decisionEntry, launchedSession, nextAnswer, requestEntry, sessionState } from "./approval-fixtures.js";
import { rejection } from "./service-fixtures.js";

let a: ApprovalEnv;
afterEach(async () => {
  await a?.env.close();
});

const key = (requestId: string) => ({ workspaceId: "ws", sessionId: a.sessionId, requestId });
const stored = (requestId: string) => a.env.store.getPermissionRequest(a.sessionId, requestId);

describe("createPermissionService", () => {
  describe("delivery", () => {
    it("delivers an answer given while the daemon was offline once it subscribes again", async () => {
      a = await launchedSession();
      await append(a, requestEntry("prq_1", "Bash", { command: "make" }));
      await sessionState(a, "awaiting_approval");
      await a.daemon.stop();
      await sessionState(a, "unknown");
      const { request } = await a.permissions.answerPermissionRequest({ ...key("prq_1"), decision: "allow" }, a.auth());
      expect(request?.delivered).toBe(false);
      const back = await a.env.daemon({ runningSessions: [{ sessionId: a.sessionId, pid: 42, agentSessionId: "" }] });
      const { commandId, answer } = await nextAnswer(back);
      expect(answer.request).toMatchObject({ requestId: "prq_1", decision: "allow", decidedBy: a.env.apiTokenId });
      expect((await stored("prq_1"))?.delivered).toBe(false);
      await back.acknowledge(commandId, "ok");
      expect((await stored("prq_1"))?.delivered).toBe(true);
      await sessionState(a, "running");
    });

    it("sends an unacknowledged decision again on every subscription until the daemon says ok", async () => {
      a = await launchedSession();
      await append(a, requestEntry("prq_1", "Bash", { command: "make" }));
      await sessionState(a, "awaiting_approval");
      await a.permissions.answerPermissionRequest({ ...key("prq_1"), decision: "deny" }, a.auth());
      const first = await nextAnswer(a.daemon);
      await a.daemon.acknowledge(first.commandId, "error", { error: { code: "request_not_found", message: "no such request" } });
      expect((await stored("prq_1"))?.delivered).toBe(false);
      await a.daemon.stop();
      const back = await a.env.daemon({ runningSessions: [{ sessionId: a.sessionId, pid: 42, agentSessionId: "" }] });
      const again = await nextAnswer(back);
      expect(again.answer.request?.requestId).toBe("prq_1");
      await back.acknowledge(again.commandId, "ok");
      expect((await stored("prq_1"))?.delivered).toBe(true);
    });

    it("shows a healed session waiting again when its request is still pending", async () => {
      a = await launchedSession();
      await append(a, requestEntry("prq_1", "Bash", { command: "make" }));
      await sessionState(a, "awaiting_approval");
      await a.daemon.stop();
      await sessionState(a, "unknown");
      await a.env.daemon({ runningSessions: [{ sessionId: a.sessionId, pid: 42, agentSessionId: "" }] });
      await sessionState(a, "awaiting_approval");
    });
  });

  describe("timeout", () => {
    it("decides a request nobody answered with the workspace's default decision, deny unless set otherwise", async () => {
      a = await launchedSession({ approvalSweepMs: 10 });
      await append(a, requestEntry("prq_1", "Bash", { command: "make" }, { expireInMs: 30 }));
      const decided = await pollUntil(async () => ((await stored("prq_1"))?.decision ? stored("prq_1") : undefined), { what: "the timeout" });
      expect(decided).toMatchObject({ decision: "deny", decidedBy: "timeout" });
      expect(decided?.message).toContain("nobody answered");
      const { answer } = await nextAnswer(a.daemon);
      expect(answer.request).toMatchObject({ requestId: "prq_1", decision: "deny", decidedBy: "timeout" });
      await sessionState(a, "running");
      const late = await rejection(a.permissions.answerPermissionRequest({ ...key("prq_1"), decision: "allow" }, a.auth()), Code.FailedPrecondition);
      expect(late.rawMessage).toContain("already decided: deny by timeout");
    });

    it("applies a workspace's default of allow", async () => {
      a = await launchedSession({ approvalSweepMs: 10 });
      await a.env.store.updateWorkspacePermissions("ws", { defaultDecision: "allow" });
      await append(a, requestEntry("prq_1", "Edit", { file_path: "x" }, { expireInMs: 30 }));
      const { answer } = await nextAnswer(a.daemon);
      expect(answer.request).toMatchObject({ decision: "allow", decidedBy: "timeout" });
    });

    it("expires a request from the workspace's approval timeout when the daemon names no expire time", async () => {
      a = await launchedSession({ approvalSweepMs: 10 });
      await a.env.store.updateWorkspacePermissions("ws", { approvalTimeoutMs: 40 });
      const entry = requestEntry("prq_1", "Edit", { file_path: "x" });
      delete (entry.permissionRequest as { expireTime?: unknown }).expireTime;
      await append(a, entry);
      const { answer } = await nextAnswer(a.daemon);
      expect(answer.request).toMatchObject({ decision: "deny", decidedBy: "timeout" });
    });
  });

  describe("daemon decisions", () => {
    it("records the daemon's own decision of a pending request as delivered, and the session runs again", async () => {
      a = await launchedSession();
      await append(a, requestEntry("prq_1", "Bash", { command: "make" }));
      await sessionState(a, "awaiting_approval");
      await append(a, decisionEntry("prq_1", "deny", "timeout"));
      expect(await stored("prq_1")).toMatchObject({ decision: "deny", decidedBy: "timeout", delivered: true });
      await sessionState(a, "running");
      expect(await a.env.store.listPendingPermissionRequests({ workspaceId: "ws" })).toEqual([]);
    });

    it("keeps the server's decision when the daemon reports one for a request already decided, marking it delivered", async () => {
      a = await launchedSession();
      await append(a, requestEntry("prq_1", "Bash", { command: "make" }));
      await sessionState(a, "awaiting_approval");
      await a.permissions.answerPermissionRequest({ ...key("prq_1"), decision: "allow" }, a.auth());
      await append(a, decisionEntry("prq_1", "allow", a.env.apiTokenId));
      expect(await stored("prq_1")).toMatchObject({ decision: "allow", decidedBy: a.env.apiTokenId, delivered: true });
    });
  });
});
