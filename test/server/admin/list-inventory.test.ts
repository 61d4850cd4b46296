import { describe, expect, it } from "vitest";
import { createApiToken } from "../../../server/admin/create-api-token.js";
import { createMachine } from "../../../server/admin/create-machine.js";
import { createMachineToken } from "../../../server/admin/create-machine-token.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { listInventory } from "../../../server/admin/list-inventory.js";
import { revokeToken } from "../../../server/admin/revoke-token.js";
import { useMemoryStore } from "./memory-store.js";

describe("listInventory", () => {
  const store = useMemoryStore();

  it("is empty on a new database", async () => {
    expect(await listInventory(store())).toEqual({ workspaces: [], machines: [], tokens: [] });
  });

  it("lists workspaces, machines marked default or not, and live and revoked tokens", async () => {
    await createWorkspace(store(), "acme", { now: 1 });
    await createWorkspace(store(), "beta", { now: 2 });
    await createMachine(store(), { machineId: "a1", workspaceId: "acme" });
    await createMachine(store(), { machineId: "a2", workspaceId: "acme" });
    await createMachine(store(), { machineId: "b1", workspaceId: "beta" });
    const api = await createApiToken(store(), { workspaceIds: ["acme", "beta"] });
    const machine = await createMachineToken(store(), { machineId: "b1" });
    await revokeToken(store(), machine.tokenId, { now: 99 });

    const inventory = await listInventory(store());
    expect(inventory.workspaces.map((w) => [w.workspaceId, w.defaultMachineId, w.createdAt])).toEqual([
      ["acme", "a1", 1],
      ["beta", "b1", 2],
    ]);
    expect(inventory.machines.map((m) => [m.machineId, m.workspaceId, m.isDefault])).toEqual([
      ["a1", "acme", true],
      ["a2", "acme", false],
      ["b1", "beta", true],
    ]);
    const tokens = Object.fromEntries(inventory.tokens.map((t) => [t.tokenId, t]));
    expect(tokens[api.tokenId]).toMatchObject({ kind: "api", workspaceIds: ["acme", "beta"], revokedAt: undefined });
    expect(tokens[machine.tokenId]).toMatchObject({ kind: "machine", machineId: "b1", revokedAt: 99 });
  });
});
