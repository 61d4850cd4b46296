import { Code } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { createApiToken } from "../../../server/admin/create-api-token.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { isTokenReference, revokeToken } from "../../../server/admin/revoke-token.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { useMemoryStore } from "./memory-store.js";

describe("revokeToken", () => {
  const store = useMemoryStore();
  beforeEach(async () => {
    await createWorkspace(store(), "acme");
  });

  it("revokes by token id at the given time", async () => {
    const { tokenId } = await createApiToken(store(), { workspaceIds: ["acme"] });
    expect(await revokeToken(store(), tokenId, { now: 77 })).toBe(tokenId);
    expect((await store().listTokens())[0]?.revokedAt).toBe(77);
  });

  it("revokes by the token itself, resolving with its id", async () => {
    const { token, tokenId } = await createApiToken(store(), { workspaceIds: ["acme"] });
    expect(await revokeToken(store(), token)).toBe(tokenId);
    expect((await store().listTokens())[0]?.revokedAt).toBeTypeOf("number");
  });

  it("answers not_found for a revoked or unknown token, never echoing a plain token", async () => {
    const { token, tokenId } = await createApiToken(store(), { workspaceIds: ["acme"] });
    await revokeToken(store(), tokenId);
    await expectCode(revokeToken(store(), tokenId), Code.NotFound, new RegExp(`^token ${tokenId} not found or already revoked$`));
    const error = await expectCode(revokeToken(store(), token), Code.NotFound, /^token not found or already revoked$/);
    expect(error.message).not.toContain(token);
    await expectCode(revokeToken(store(), "tok_000000000000"), Code.NotFound);
  });

  it("refuses what is neither a token id nor a token with invalid_argument", async () => {
    await expectCode(revokeToken(store(), "acme"), Code.InvalidArgument, /needs a token id \(tok_\.\.\.\) or a token/);
  });
});

describe("isTokenReference", () => {
  it("accepts token ids and tokens of both kinds, nothing else", () => {
    for (const ok of ["tok_0123456789ab", "wsa_x", "wsm_x"]) expect(isTokenReference(ok)).toBe(true);
    for (const bad of ["", "tok_", "tok_a-b", "acme", "Bearer wsa_x"]) expect(isTokenReference(bad)).toBe(false);
  });
});
