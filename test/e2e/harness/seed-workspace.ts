import { createApiToken } from "../../../server/admin/create-api-token.js";
import { createMachine } from "../../../server/admin/create-machine.js";
import { createMachineToken } from "../../../server/admin/create-machine-token.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { openAdminStore } from "../../../server/admin/open-admin-store.js";

/** The tokens of a seeded workspace. */
export interface SeededWorkspace {
  /** An API token of the workspace. */
  apiToken: string;
  /** Id of `apiToken`: what a stop records as who stopped a session. */
  apiTokenId: string;
  /** Machine id -> its machine token. */
  machineTokens: Map<string, string>;
}

/** Creates, through the admin door, `workspaceId` with `machineIds` (the first is its default), a token per machine and an API token. */
export async function seedWorkspace(database: string, workspaceId: string, machineIds: readonly string[]): Promise<SeededWorkspace> {
  const admin = await openAdminStore(database);
  try {
    await createWorkspace(admin, workspaceId);
    const machineTokens = new Map<string, string>();
    for (const machineId of machineIds) {
      await createMachine(admin, { machineId, workspaceId });
      machineTokens.set(machineId, (await createMachineToken(admin, { machineId })).token);
    }
    const api = await createApiToken(admin, { workspaceIds: [workspaceId] });
    return { apiToken: api.token, apiTokenId: api.tokenId, machineTokens };
  } finally {
    await admin.close();
  }
}
