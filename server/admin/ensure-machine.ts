import type { MachineRecord, Store } from "../store/store.js";
import { createMachine, type NewMachine } from "./create-machine.js";

/**
 * The machine with this id, created in `init.workspaceId` first when it does
 * not exist yet (the dev bootstrap's second step). An existing machine is
 * returned as it is, whichever workspace it is in.
 */
export async function ensureMachine(store: Store, init: NewMachine): Promise<MachineRecord> {
  return (await store.getMachine(init.machineId)) ?? (await createMachine(store, init)).machine;
}
