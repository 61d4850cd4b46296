import type { NodeRequest } from "../rpc/node-handler.js";
import type { Store } from "../store/store.js";
import { createTokenCache, type TokenCache } from "./create-token-cache.js";

/**
 * The `authorize` of `GET /metrics` on the API port: any API token (whatever
 * its scopes) may read them; no token or a bad one is 401, a machine token 403.
 * Tokens are looked up through `tokens` when given, else in the store, uncached.
 */
export function authorizeMetrics(
  store: Store,
  tokens: TokenCache = createTokenCache({ store, ttlMs: 0 }),
): (req: NodeRequest) => Promise<{ status: number; message: string } | undefined> {
  return async (req) => {
    const principal = await tokens.authenticate((req.headers.authorization as string | undefined) ?? null).catch(() => undefined);
    if (principal === undefined) return { status: 401, message: "/metrics needs an API token (Authorization: Bearer …)" };
    if (principal.kind !== "api") return { status: 403, message: "/metrics needs an API token, not a machine token" };
    return undefined;
  };
}
