import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { PermissionRequestSchema } from "../../../gen/workspaces/v1/permission_pb.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { createApprovalRoom, pendingRequest, requestEntry } from "./approval-fixtures.js";

const answer = (decision: "allow" | "deny", extra: { remember?: boolean; decidedBy?: string } = {}) => ({
  decision,
  decidedBy: extra.decidedBy ?? "tok_a",
  message: "",
  remember: extra.remember ?? false,
});

describe("createApprovals", () => {
  describe("entriesStored", () => {
    it("records a PERMISSION_REQUEST entry as a pending request and the session as awaiting approval", async () => {
      const { room, approvals } = await createApprovalRoom();
      await approvals.entriesStored("s-1", [{ offset: 0, role: "assistant", kind: "text", text: "hi" }, requestEntry("prq_1", "Bash", { command: "ls" }, 1)]);
      expect(await room.store.getPermissionRequest("s-1", "prq_1")).toMatchObject({ toolName: "Bash", input: { command: "ls" }, decision: "" });
      expect((await room.store.getSessionById("s-1"))?.state).toBe("awaiting_approval");
    });

    it("moves the session on a resent entry whose request was stored but the session never moved", async () => {
      const { room, approvals } = await createApprovalRoom();
      await room.store.createPermissionRequest(pendingRequest("prq_1"));
      await approvals.entriesStored("s-1", [requestEntry("prq_1", "Bash", { command: "make" })]);
      expect((await room.store.getSessionById("s-1"))?.state).toBe("awaiting_approval");
      await approvals.entriesStored("s-1", [requestEntry("prq_1", "Bash", { command: "make" })]);
      expect((await room.store.listSessionEvents("s-1", 0)).map((e) => e.type)).toEqual(["awaiting_approval"]);
    });

    it("ignores an entry whose request names no id, logging it", async () => {
      const { room, approvals } = await createApprovalRoom();
      await approvals.entriesStored("s-1", [{ offset: 0, role: "system", kind: "permission_request", text: "", toolName: "Bash" }]);
      expect(await room.store.listPendingPermissionRequests({ workspaceId: "ws" })).toEqual([]);
      expect(room.logged.map((l) => l.message).join()).toContain("without a request id");
    });

    it("allows at once a request a remembered rule of the session covers, and pushes it", async () => {
      const { room, approvals } = await createApprovalRoom();
      const daemon = room.daemon();
      await approvals.entriesStored("s-1", [requestEntry("prq_1", "Bash", { command: "npm test" })]);
      await approvals.answer((await room.store.getSessionById("s-1"))!, "prq_1", answer("allow", { remember: true }));
      await approvals.entriesStored("s-1", [requestEntry("prq_2", "Bash", { command: "npm ci" }, 1)]);
      expect(await room.store.getPermissionRequest("s-1", "prq_2")).toMatchObject({ decision: "allow", decidedBy: "remembered" });
      expect((await room.store.getSessionById("s-1"))?.state).toBe("running");
      const pushed = [await daemon.nextCommand(), await daemon.nextCommand()];
      expect(pushed.map((c) => (c.kind.case === "permissionAnswer" ? c.kind.value.request?.requestId : ""))).toEqual(["prq_1", "prq_2"]);
    });
  });

  describe("answer", () => {
    it("stores the first answer and refuses the second with failed_precondition naming the first", async () => {
      const { room, approvals } = await createApprovalRoom();
      await approvals.entriesStored("s-1", [requestEntry("prq_1", "Bash", { command: "ls" })]);
      const session = (await room.store.getSessionById("s-1"))!;
      const first = await approvals.answer(session, "prq_1", answer("deny"));
      expect(first).toMatchObject({ decision: "deny", decidedBy: "tok_a" });
      const error = await expectCode(approvals.answer(session, "prq_1", answer("allow", { decidedBy: "tok_b" })), Code.FailedPrecondition);
      expect(error.rawMessage).toMatch(/^permission request prq_1 was already decided: deny by tok_a at \d{4}-/);
      expect(error.findDetails(PermissionRequestSchema)[0]?.decidedBy).toBe("tok_a");
    });

    it("answers not_found for a request the session does not have", async () => {
      const { room, approvals } = await createApprovalRoom();
      await expectCode(approvals.answer((await room.store.getSessionById("s-1"))!, "prq_9", answer("allow")), Code.NotFound);
    });

    it("allows the session's other pending requests a remembered answer covers", async () => {
      const { room, approvals } = await createApprovalRoom();
      await approvals.entriesStored("s-1", [
        requestEntry("prq_1", "Edit", { file_path: "a" }),
        requestEntry("prq_2", "Edit", { file_path: "b" }, 1),
        requestEntry("prq_3", "Bash", { command: "ls" }, 2),
      ]);
      await approvals.answer((await room.store.getSessionById("s-1"))!, "prq_1", answer("allow", { remember: true }));
      expect(await room.store.getPermissionRequest("s-1", "prq_2")).toMatchObject({ decision: "allow", decidedBy: "remembered" });
      expect((await room.store.listPendingPermissionRequests({ workspaceId: "ws" })).map((r) => r.requestId)).toEqual(["prq_3"]);
      expect((await room.store.getSessionById("s-1"))?.state).toBe("awaiting_approval");
    });
  });

  describe("redeliver", () => {
    it("sends a machine's undelivered decisions of live sessions again, not those whose command still waits", async () => {
      const { room, approvals } = await createApprovalRoom();
      await room.addSession({ sessionId: "s-done", state: "exited" });
      for (const [sessionId, requestId] of [["s-1", "prq_1"], ["s-done", "prq_2"]] as const) {
        await room.store.createPermissionRequest(pendingRequest(requestId, { sessionId }));
        await room.store.decidePermissionRequest({ sessionId, requestId, decision: "allow", decidedBy: "tok_a", message: "", remember: false, delivered: false, now: 2 });
      }
      const daemon = room.daemon();
      expect(await approvals.redeliver("m1")).toBe(1);
      const command = await daemon.nextCommand();
      expect(command.kind.case === "permissionAnswer" && command.kind.value.request?.requestId).toBe("prq_1");
      // Its command is pending now: a second subscription right away sends nothing new.
      expect(await approvals.redeliver("m1")).toBe(0);
      await room.acknowledge(command.commandId, "ok");
      await approvals.idle();
      expect((await room.store.getPermissionRequest("s-1", "prq_1"))?.delivered).toBe(true);
    });

    it("shows a running session with a pending request as awaiting approval again", async () => {
      const { room, approvals } = await createApprovalRoom();
      await room.store.createPermissionRequest(pendingRequest("prq_1"));
      await approvals.redeliver("m1");
      expect((await room.store.getSessionById("s-1"))?.state).toBe("awaiting_approval");
      const [event] = await room.store.listSessionEvents("s-1", 0);
      expect(event).toMatchObject({ type: "awaiting_approval", message: "the agent still waits to use Bash" });
      expect(event?.entry?.permissionRequest?.requestId).toBe("prq_1");
    });
  });
});
