import { beforeEach, describe, expect, it } from "vitest";
import { hashToken } from "../../../server/auth/api-token.js";
import { createMachine } from "../../../server/admin/create-machine.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { issueToken } from "../../../server/admin/issue-token.js";
import { useMemoryStore } from "./memory-store.js";

describe("issueToken", () => {
  const store = useMemoryStore();
  beforeEach(async () => {
    await createWorkspace(store(), "acme");
    await createMachine(store(), { machineId: "m1", workspaceId: "acme" });
  });

  it("stores the token's hash with its scope, never the token", async () => {
    const issued = await issueToken(store(), { kind: "api", workspaceIds: ["acme"], machineId: undefined, now: 3 });
    expect(issued.token).toMatch(/^wsa_[A-Za-z0-9_-]{43}$/);
    expect(issued.tokenId).toMatch(/^tok_[0-9a-f]{12}$/);
    expect(issued).toMatchObject({ kind: "api", workspaceIds: ["acme"], machineId: undefined });
    const [record] = await store().listTokens();
    expect(record).toEqual({
      tokenId: issued.tokenId,
      kind: "api",
      hashHex: hashToken(issued.token),
      workspaceIds: ["acme"],
      machineId: undefined,
      scopes: ["sessions"],
      label: "",
      createdAt: 3,
      revokedAt: undefined,
    });
    expect(JSON.stringify(await store().listTokens())).not.toContain(issued.token);
  });

  it("gives machine tokens their own prefix", async () => {
    const issued = await issueToken(store(), { kind: "machine", workspaceIds: [], machineId: "m1", now: 3 });
    expect(issued.token.startsWith("wsm_")).toBe(true);
    expect((await store().findTokenByHash(hashToken(issued.token)))?.machineId).toBe("m1");
  });
});
