import { Code } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { createMachine } from "../../../server/admin/create-machine.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { useMemoryStore } from "./memory-store.js";

describe("createMachine", () => {
  const store = useMemoryStore();
  beforeEach(async () => {
    await createWorkspace(store(), "acme");
  });

  it("makes the first machine of a workspace its default", async () => {
    const { machine, isDefault } = await createMachine(store(), { machineId: "laptop", workspaceId: "acme", now: 5 });
    expect(isDefault).toBe(true);
    expect(machine).toMatchObject({ machineId: "laptop", workspaceId: "acme", lastSeenAt: undefined, createdAt: 5 });
    expect((await store().getWorkspace("acme"))?.defaultMachineId).toBe("laptop");
  });

  it("keeps the default unless told to make the new machine it", async () => {
    await createMachine(store(), { machineId: "m1", workspaceId: "acme" });
    expect((await createMachine(store(), { machineId: "m2", workspaceId: "acme" })).isDefault).toBe(false);
    expect((await store().getWorkspace("acme"))?.defaultMachineId).toBe("m1");
    expect((await createMachine(store(), { machineId: "m3", workspaceId: "acme", makeDefault: true })).isDefault).toBe(true);
    expect((await store().getWorkspace("acme"))?.defaultMachineId).toBe("m3");
  });

  it("refuses a workspace that does not exist with not_found", async () => {
    await expectCode(createMachine(store(), { machineId: "m1", workspaceId: "nope" }), Code.NotFound, /^workspace nope not found$/);
    expect(await store().getMachine("m1")).toBeUndefined();
  });

  it("refuses a machine id taken in any workspace with already_exists", async () => {
    await createWorkspace(store(), "other");
    await createMachine(store(), { machineId: "m1", workspaceId: "acme" });
    await expectCode(createMachine(store(), { machineId: "m1", workspaceId: "other" }), Code.AlreadyExists, /^machine m1 already exists$/);
  });

  it("refuses malformed ids with invalid_argument", async () => {
    await expectCode(createMachine(store(), { machineId: "", workspaceId: "acme" }), Code.InvalidArgument, /invalid machine id/);
    await expectCode(createMachine(store(), { machineId: "m1", workspaceId: "-x" }), Code.InvalidArgument, /invalid workspace id/);
  });
});
