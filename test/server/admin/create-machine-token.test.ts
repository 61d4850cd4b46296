import { Code } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { hashToken } from "../../../server/auth/api-token.js";
import { createMachine } from "../../../server/admin/create-machine.js";
import { createMachineToken } from "../../../server/admin/create-machine-token.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { useMemoryStore } from "./memory-store.js";

describe("createMachineToken", () => {
  const store = useMemoryStore();
  beforeEach(async () => {
    await createWorkspace(store(), "acme");
    await createMachine(store(), { machineId: "laptop", workspaceId: "acme" });
  });

  it("creates a wsm_ token scoped to the machine, reporting the machine's workspace", async () => {
    const issued = await createMachineToken(store(), { machineId: "laptop", now: 4 });
    expect(issued).toMatchObject({ kind: "machine", workspaceIds: ["acme"], machineId: "laptop" });
    expect(issued.token.startsWith("wsm_")).toBe(true);
    const record = await store().findTokenByHash(hashToken(issued.token));
    expect(record).toMatchObject({ tokenId: issued.tokenId, kind: "machine", workspaceIds: [], machineId: "laptop", createdAt: 4 });
  });

  it("refuses a machine that does not exist with not_found", async () => {
    await expectCode(createMachineToken(store(), { machineId: "m9" }), Code.NotFound, /^machine m9 not found$/);
    expect(await store().listTokens()).toEqual([]);
  });

  it("refuses a malformed id with invalid_argument", async () => {
    await expectCode(createMachineToken(store(), { machineId: "a b" }), Code.InvalidArgument, /invalid machine id/);
  });
});
