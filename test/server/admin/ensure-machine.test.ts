import { beforeEach, describe, expect, it } from "vitest";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { ensureMachine } from "../../../server/admin/ensure-machine.js";
import { useMemoryStore } from "./memory-store.js";

describe("ensureMachine", () => {
  const store = useMemoryStore();
  beforeEach(async () => {
    await createWorkspace(store(), "default");
  });

  it("creates the machine when it is missing, as its workspace's default when asked", async () => {
    const machine = await ensureMachine(store(), { machineId: "local", workspaceId: "default", makeDefault: true, now: 7 });
    expect(machine).toMatchObject({ machineId: "local", workspaceId: "default", createdAt: 7 });
    expect((await store().getWorkspace("default"))?.defaultMachineId).toBe("local");
  });

  it("returns an existing machine unchanged", async () => {
    await ensureMachine(store(), { machineId: "local", workspaceId: "default", now: 7 });
    const again = await ensureMachine(store(), { machineId: "local", workspaceId: "default", now: 8 });
    expect(again.createdAt).toBe(7);
    expect(await store().listMachines()).toHaveLength(1);
  });
});
