import { Code, ConnectError } from "@connectrpc/connect";
import { hashToken, looksLikeToken } from "../auth/api-token.js";
import type { Store } from "../store/store.js";
import type { AdminWriteOptions } from "./admin-write-options.js";

const tokenIdPattern = /^tok_[A-Za-z0-9]{1,60}$/;

/** Whether `value` names a token the way `revokeToken` takes it: a token id (`tok_…`) or the token itself. */
export function isTokenReference(value: string): boolean {
  return looksLikeToken(value) || tokenIdPattern.test(value);
}

/**
 * Revokes a token given by its id (`tok_…`) or by the token itself (`wsa_…`,
 * `wsm_…`); resolves with the token id. Throws `invalid_argument` for anything
 * else and `not_found` when no live token matches. A message never repeats a
 * plain token.
 */
export async function revokeToken(store: Store, tokenIdOrToken: string, options: AdminWriteOptions = {}): Promise<string> {
  if (!isTokenReference(tokenIdOrToken)) {
    throw new ConnectError("revoke-token needs a token id (tok_...) or a token (wsa_... or wsm_...)", Code.InvalidArgument);
  }
  let tokenId = tokenIdOrToken;
  if (looksLikeToken(tokenIdOrToken)) {
    const record = await store.findTokenByHash(hashToken(tokenIdOrToken));
    if (!record) throw new ConnectError("token not found or already revoked", Code.NotFound);
    tokenId = record.tokenId;
  }
  if (!(await store.revokeToken(tokenId, options.now ?? Date.now()))) {
    throw new ConnectError(`token ${tokenId} not found or already revoked`, Code.NotFound);
  }
  return tokenId;
}
