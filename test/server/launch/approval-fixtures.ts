import { type Approvals, createApprovals } from "../../../server/launch/create-approvals.js";
import type { NewPermissionRequest, TranscriptEntryRecord } from "../../../server/store/store.js";
import { createLaunchRoom, type LaunchRoom } from "./launch-fixtures.js";

/** The launch room with the approvals desk on it, and a running session `s-1` on `m1`. */
export async function createApprovalRoom(): Promise<{ room: LaunchRoom; approvals: Approvals }> {
  const room = await createLaunchRoom();
  await room.addSession({ sessionId: "s-1", state: "running" });
  const approvals = createApprovals({ store: room.store, lifecycle: room.lifecycle, sender: room.sender, log: room.log, now: Date.now });
  return { room, approvals };
}

/** A PERMISSION_REQUEST entry for `requestId`, as the daemon service hands it over once stored. */
export function requestEntry(requestId: string, toolName: string, input: Record<string, string>, offset = 0): TranscriptEntryRecord {
  return {
    offset,
    role: "system",
    kind: "permission_request",
    text: "",
    toolName,
    toolInput: input,
    permissionRequest: { requestId, toolName, input, expireTime: new Date(Date.now() + 60_000).toISOString() },
  };
}

/** A pending request of `s-1` stored directly. */
export function pendingRequest(requestId: string, init: Partial<NewPermissionRequest> = {}): NewPermissionRequest {
  return {
    sessionId: "s-1",
    requestId,
    workspaceId: "ws",
    machineId: "m1",
    toolName: "Bash",
    input: { command: "make" },
    reason: "",
    toolUseId: "",
    createdAt: 1,
    expireAt: Date.now() + 60_000,
    ...init,
  };
}
