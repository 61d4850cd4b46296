import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { entryMessage } from "../../../../client/daemon/transcript/transcript-entry.js";
import { TranscriptEntryKind, TranscriptEntrySchema, TranscriptRole } from "../../../../gen/workspaces/v1/transcript_pb.js";

describe("entryMessage", () => {
  it("sends a permission decision as a PERMISSION_DECISION entry holding the PermissionRequest", () => {
    const times = { createTime: 1_000, expireTime: 61_000, decideTime: 2_000 };
    const fields = {
      requestId: "prq_1",
      sessionId: "s1",
      workspaceId: "ws1",
      toolName: "Bash",
      input: { command: "ls" },
      reason: "List",
      toolUseId: "toolu_1",
      decision: "deny" as const,
      decidedBy: "timeout",
      message: "no answer",
      remember: false,
      delivered: true,
    };
    const entry = { role: "system" as const, kind: "permission_decision" as const, text: "permission denied: Bash: ls", toolName: "Bash", toolCallId: "toolu_1", agentTime: 3_000 };
    const message = create(TranscriptEntrySchema, entryMessage({ ...entry, permission: { ...fields, ...times } }, 7));
    expect(message).toMatchObject({ offset: 7n, role: TranscriptRole.SYSTEM, kind: TranscriptEntryKind.PERMISSION_DECISION, toolName: "Bash", toolCallId: "toolu_1" });
    const request = message.permissionRequest!;
    expect(request).toMatchObject(fields);
    expect([timestampMs(request.createTime!), timestampMs(request.expireTime!), timestampMs(request.decideTime!)]).toEqual([1_000, 61_000, 2_000]);
    expect(request.updatedInput).toBeUndefined();
  });

  it("sends a pending request with an empty decision and no decide time, and other entries without a request", () => {
    const pending = entryMessage(
      {
        role: "system",
        kind: "permission_request",
        text: "permission requested: Edit",
        permission: { requestId: "prq_2", sessionId: "s1", workspaceId: "ws1", toolName: "Edit", input: {}, reason: "", toolUseId: "", createTime: 1, expireTime: 2 },
      },
      0,
    );
    expect(pending.kind).toBe(TranscriptEntryKind.PERMISSION_REQUEST);
    expect(pending.permissionRequest).toMatchObject({ decision: "", decidedBy: "", decideTime: undefined, delivered: false });
    expect(entryMessage({ role: "assistant", kind: "text", text: "hi" }, 1).permissionRequest).toBeUndefined();
  });
});
