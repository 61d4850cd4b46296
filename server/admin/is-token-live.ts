import { hashToken } from "../auth/api-token.js";
import type { Store } from "../store/store.js";

/**
 * Whether `token` (a plain `wsa_…` or `wsm_…` token) is stored and not revoked,
 * so a caller may keep using it. False for undefined and for any other string.
 */
export async function isTokenLive(store: Store, token: string | undefined, signal?: AbortSignal): Promise<boolean> {
  return token !== undefined && (await store.findTokenByHash(hashToken(token), signal)) !== undefined;
}
