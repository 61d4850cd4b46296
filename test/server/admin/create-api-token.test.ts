import { Code } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { hashToken } from "../../../server/auth/api-token.js";
import { createApiToken } from "../../../server/admin/create-api-token.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { useMemoryStore } from "./memory-store.js";

describe("createApiToken", () => {
  const store = useMemoryStore();
  beforeEach(async () => {
    await createWorkspace(store(), "w1");
    await createWorkspace(store(), "w2");
  });

  it("creates a wsa_ token for its workspaces, counting repeats once", async () => {
    const issued = await createApiToken(store(), { workspaceIds: ["w1", "w2", "w1"], now: 9 });
    expect(issued).toMatchObject({ kind: "api", workspaceIds: ["w1", "w2"], machineId: undefined });
    expect(issued.token.startsWith("wsa_")).toBe(true);
    const record = await store().findTokenByHash(hashToken(issued.token));
    expect(record).toMatchObject({ tokenId: issued.tokenId, kind: "api", workspaceIds: ["w1", "w2"], createdAt: 9 });
  });

  it("refuses a workspace that does not exist with not_found and stores nothing", async () => {
    await expectCode(createApiToken(store(), { workspaceIds: ["w1", "w9"] }), Code.NotFound, /^workspace w9 not found$/);
    expect(await store().listTokens()).toEqual([]);
  });

  it("refuses no workspaces or a malformed id with invalid_argument", async () => {
    await expectCode(createApiToken(store(), { workspaceIds: [] }), Code.InvalidArgument, /at least one workspace/);
    await expectCode(createApiToken(store(), { workspaceIds: ["w 1"] }), Code.InvalidArgument, /invalid workspace id/);
  });
});
