import { beforeEach, describe, expect, it } from "vitest";
import { createApiToken } from "../../../server/admin/create-api-token.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { isTokenLive } from "../../../server/admin/is-token-live.js";
import { revokeToken } from "../../../server/admin/revoke-token.js";
import { useMemoryStore } from "./memory-store.js";

describe("isTokenLive", () => {
  const store = useMemoryStore();
  beforeEach(async () => {
    await createWorkspace(store(), "acme");
  });

  it("is true for a stored token until it is revoked", async () => {
    const { token, tokenId } = await createApiToken(store(), { workspaceIds: ["acme"] });
    expect(await isTokenLive(store(), token)).toBe(true);
    await revokeToken(store(), tokenId);
    expect(await isTokenLive(store(), token)).toBe(false);
  });

  it("is false for no token and for a token it never issued", async () => {
    expect(await isTokenLive(store(), undefined)).toBe(false);
    expect(await isTokenLive(store(), "wsa_not-a-real-token")).toBe(false);
    expect(await isTokenLive(store(), "")).toBe(false);
  });
});
