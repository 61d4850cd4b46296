import { Code, ConnectError } from "@connectrpc/connect";
import { defaultWorkspacePermissions, type Store, type WorkspacePermissions, type WorkspaceRecord } from "../store/store.js";
import type { AdminWriteOptions } from "./admin-write-options.js";
import { checkId } from "./check-id.js";
import { checkPermissionOrder } from "./workspace-permission-options.js";

/**
 * Creates a workspace, with the permission settings given (the others as
 * `defaultWorkspacePermissions`). Throws `invalid_argument` for a malformed
 * id or a default mode above the ceiling, and `already_exists` ("workspace
 * acme already exists") when it is taken.
 */
export async function createWorkspace(
  store: Store,
  workspaceId: string,
  options: AdminWriteOptions & { permissions?: Partial<WorkspacePermissions> } = {},
): Promise<WorkspaceRecord> {
  checkId("workspace", workspaceId);
  checkPermissionOrder(workspaceId, { ...defaultWorkspacePermissions, ...options.permissions });
  if (await store.getWorkspace(workspaceId)) {
    throw new ConnectError(`workspace ${workspaceId} already exists`, Code.AlreadyExists);
  }
  return store.createWorkspace(workspaceId, options.now ?? Date.now(), options.permissions);
}
