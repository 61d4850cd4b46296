import type { Store, TokenRecord } from "../store/store.js";

/**
 * The API tokens that may act on `workspaceId`, live and revoked, oldest
 * first; each one's workspaces cut to those in `visibleWorkspaceIds`, so a
 * listing never names a workspace its caller cannot see.
 */
export async function listApiTokens(
  store: Store,
  workspaceId: string,
  visibleWorkspaceIds: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<TokenRecord[]> {
  const tokens = await store.listTokens(workspaceId, signal);
  return tokens.map((t) => ({ ...t, workspaceIds: t.workspaceIds.filter((id) => visibleWorkspaceIds.has(id)) }));
}
