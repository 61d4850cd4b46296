import { Code, ConnectError } from "@connectrpc/connect";
import type { Store, WorkspaceRecord } from "../store/store.js";
import type { AdminWriteOptions } from "./admin-write-options.js";
import { checkId } from "./check-id.js";

/**
 * Creates a workspace. Throws `invalid_argument` for a malformed id and
 * `already_exists` ("workspace acme already exists") when it is taken.
 */
export async function createWorkspace(store: Store, workspaceId: string, options: AdminWriteOptions = {}): Promise<WorkspaceRecord> {
  checkId("workspace", workspaceId);
  if (await store.getWorkspace(workspaceId)) {
    throw new ConnectError(`workspace ${workspaceId} already exists`, Code.AlreadyExists);
  }
  return store.createWorkspace(workspaceId, options.now ?? Date.now());
}
