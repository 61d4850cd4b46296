import { Code, ConnectError } from "@connectrpc/connect";
import type { MachineRecord, Store } from "../store/store.js";
import type { AdminWriteOptions } from "./admin-write-options.js";
import { checkId } from "./check-id.js";
import { type IssuedToken, issueToken } from "./issue-token.js";

export interface MachineRegistration extends AdminWriteOptions {
  workspaceId: string;
  /** The machine's name, which is its id on the server. */
  name: string;
  /** Make a newly created machine its workspace's default. Default false (the first machine is the default either way). */
  makeDefault?: boolean;
  /** What the machine token's label says (for example who registered it). Default "registered". */
  label?: string;
}

export interface RegisteredMachine {
  machine: MachineRecord;
  /** The new machine token: shown once. */
  issued: IssuedToken;
  /** Whether the machine existed already (a re-registration). */
  reregistered: boolean;
  /** The machine's older tokens this call revoked, in id order. */
  revokedTokenIds: string[];
}

/**
 * Creates the machine `name` in a workspace, or re-registers it when it is
 * there already, and issues it a new machine token; on a re-registration every
 * other live token of the machine is then revoked (the new one is stored
 * first, so the machine is never left without one). Throws `invalid_argument`
 * for a malformed id, `not_found` for a workspace that does not exist and
 * `already_exists` when the name is a machine of another workspace.
 * Two registrations of one new name at once both succeed, the later one as a
 * re-registration.
 */
export async function registerMachine(store: Store, init: MachineRegistration): Promise<RegisteredMachine> {
  const { workspaceId, name } = init;
  checkId("workspace", workspaceId);
  checkId("machine", name);
  const now = init.now ?? Date.now();
  if (!(await store.getWorkspace(workspaceId))) throw new ConnectError(`workspace ${workspaceId} not found`, Code.NotFound);
  let machine = await store.getMachine(name);
  let reregistered = machine !== undefined;
  if (machine === undefined) {
    try {
      machine = await store.createMachine({ machineId: name, workspaceId, makeDefault: init.makeDefault ?? false, now });
    } catch (error) {
      // Another registration of the same name got there first: this one re-registers it.
      if (!(error instanceof ConnectError && error.code === Code.AlreadyExists)) throw error;
      machine = await store.getMachine(name);
      if (machine === undefined) throw error;
      reregistered = true;
    }
  }
  if (machine.workspaceId !== workspaceId) {
    throw new ConnectError(`machine name ${name} is taken on this server; choose another name`, Code.AlreadyExists);
  }
  const issued = await issueToken(store, { kind: "machine", workspaceIds: [], machineId: name, label: init.label ?? "registered", now });
  const revokedTokenIds = reregistered ? await store.revokeMachineTokens(name, issued.tokenId, now) : [];
  return { machine, issued: { ...issued, workspaceIds: [workspaceId] }, reregistered, revokedTokenIds };
}
