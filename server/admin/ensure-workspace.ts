import type { Store, WorkspaceRecord } from "../store/store.js";
import type { AdminWriteOptions } from "./admin-write-options.js";
import { createWorkspace } from "./create-workspace.js";

/** The workspace with this id, created first when it does not exist yet (the dev bootstrap's first step). */
export async function ensureWorkspace(store: Store, workspaceId: string, options: AdminWriteOptions = {}): Promise<WorkspaceRecord> {
  return (await store.getWorkspace(workspaceId)) ?? createWorkspace(store, workspaceId, options);
}
