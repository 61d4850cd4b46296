import { Code, ConnectError } from "@connectrpc/connect";
import type { MachineRecord, Store } from "../store/store.js";
import { checkId } from "./check-id.js";
import type { AdminWriteOptions } from "./admin-write-options.js";

export interface NewMachine extends AdminWriteOptions {
  machineId: string;
  /** The workspace it belongs to; it must exist. */
  workspaceId: string;
  /**
   * Make it the workspace's default machine. Default false; the first machine
   * of a workspace becomes its default either way.
   */
  makeDefault?: boolean;
}

export interface CreatedMachine {
  machine: MachineRecord;
  /** Whether it is now its workspace's default machine. */
  isDefault: boolean;
}

/**
 * Creates a machine in a workspace. Throws `invalid_argument` for a malformed
 * id, `not_found` when the workspace does not exist and `already_exists` when
 * the machine id is taken (in any workspace).
 */
export async function createMachine(store: Store, init: NewMachine): Promise<CreatedMachine> {
  const { machineId, workspaceId } = init;
  checkId("machine", machineId);
  checkId("workspace", workspaceId);
  if (!(await store.getWorkspace(workspaceId))) throw new ConnectError(`workspace ${workspaceId} not found`, Code.NotFound);
  if (await store.getMachine(machineId)) throw new ConnectError(`machine ${machineId} already exists`, Code.AlreadyExists);
  const machine = await store.createMachine({ machineId, workspaceId, makeDefault: init.makeDefault ?? false, now: init.now ?? Date.now() });
  const isDefault = (await store.getWorkspace(workspaceId))?.defaultMachineId === machineId;
  return { machine, isDefault };
}
