import type { MachineRecord, Store, TokenRecord, WorkspaceRecord } from "../store/store.js";

/** A machine as the inventory lists it. */
export interface InventoryMachine extends MachineRecord {
  /** Whether it is its workspace's default machine. */
  isDefault: boolean;
}

/** Everything `wsctl admin list` shows, in the store's order. */
export interface Inventory {
  workspaces: WorkspaceRecord[];
  /** Ordered by workspace, then id. */
  machines: InventoryMachine[];
  /** Live and revoked tokens alike (hashes included; never plain tokens). */
  tokens: TokenRecord[];
}

/** Lists every workspace, machine and token. */
export async function listInventory(store: Store): Promise<Inventory> {
  const workspaces = await store.listWorkspaces();
  const machines = await store.listMachines();
  const tokens = await store.listTokens();
  const defaults = new Set(workspaces.map((w) => w.defaultMachineId));
  return { workspaces, machines: machines.map((m) => ({ ...m, isDefault: defaults.has(m.machineId) })), tokens };
}
