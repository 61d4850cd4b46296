import { Code, ConnectError } from "@connectrpc/connect";
import type { Store, WorkspacePermissions, WorkspaceRecord } from "../store/store.js";
import { checkId } from "./check-id.js";
import { checkPermissionOrder } from "./workspace-permission-options.js";

/**
 * Changes a workspace's permission settings given, keeping the others; they
 * apply to launches and requests from then on (running sessions keep the
 * policy they were launched with, but a request's timeout decision is the
 * workspace's default at that moment). Throws `not_found` for a missing
 * workspace and `invalid_argument` when the default mode would end up above
 * the ceiling.
 */
export async function updateWorkspace(store: Store, workspaceId: string, permissions: Partial<WorkspacePermissions>): Promise<WorkspaceRecord> {
  checkId("workspace", workspaceId);
  const current = await store.getWorkspace(workspaceId);
  if (current === undefined) throw new ConnectError(`workspace ${workspaceId} not found`, Code.NotFound);
  checkPermissionOrder(workspaceId, { ...current.permissions, ...permissions });
  const updated = await store.updateWorkspacePermissions(workspaceId, permissions);
  if (updated === undefined) throw new ConnectError(`workspace ${workspaceId} not found`, Code.NotFound);
  return updated;
}
