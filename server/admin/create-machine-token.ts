import { Code, ConnectError } from "@connectrpc/connect";
import type { Store } from "../store/store.js";
import { checkId } from "./check-id.js";
import type { AdminWriteOptions } from "./admin-write-options.js";
import { type IssuedToken, issueToken } from "./issue-token.js";

export interface NewMachineToken extends AdminWriteOptions {
  /** The machine whose daemon will use the token; it must exist. */
  machineId: string;
}

/**
 * Creates a machine token (`wsm_…`) for the daemon of one machine. Throws
 * `invalid_argument` for a malformed id and `not_found` ("machine m9 not found")
 * for a machine that does not exist. The result's `workspaceIds` holds the
 * machine's workspace; the token itself is scoped by its machine alone.
 */
export async function createMachineToken(store: Store, init: NewMachineToken): Promise<IssuedToken> {
  const { machineId } = init;
  checkId("machine", machineId);
  const machine = await store.getMachine(machineId);
  if (!machine) throw new ConnectError(`machine ${machineId} not found`, Code.NotFound);
  const issued = await issueToken(store, { kind: "machine", workspaceIds: [], machineId, now: init.now ?? Date.now() });
  return { ...issued, workspaceIds: [machine.workspaceId] };
}
