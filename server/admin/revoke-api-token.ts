import { Code, ConnectError } from "@connectrpc/connect";
import type { Store, TokenRecord } from "../store/store.js";
import type { AdminWriteOptions } from "./admin-write-options.js";

/**
 * Revokes the API token `tokenId` of a workspace and returns it as stored now.
 * Throws `not_found` when no API token of that id may act on the workspace
 * (a machine token, another workspace's token and a made-up id alike) and
 * `failed_precondition` when it is already revoked.
 */
export async function revokeApiToken(
  store: Store,
  workspaceId: string,
  tokenId: string,
  options: AdminWriteOptions & { signal?: AbortSignal } = {},
): Promise<TokenRecord> {
  const found = await store.getToken(tokenId, options.signal);
  if (found === undefined || found.kind !== "api" || !found.workspaceIds.includes(workspaceId)) {
    throw new ConnectError(`token ${tokenId} not found in workspace ${workspaceId}`, Code.NotFound);
  }
  if (found.revokedAt !== undefined || !(await store.revokeToken(tokenId, options.now ?? Date.now()))) {
    throw new ConnectError(`token ${tokenId} is already revoked`, Code.FailedPrecondition);
  }
  const revoked = await store.getToken(tokenId, options.signal);
  return revoked ?? found;
}
