import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { type ApiToken, ApiTokenSchema, type TokenService } from "../../gen/workspaces/v1/token_service_pb.js";
import { createApiToken } from "../admin/create-api-token.js";
import { listApiTokens } from "../admin/list-api-tokens.js";
import { revokeApiToken } from "../admin/revoke-api-token.js";
import { requireWorkspaceAccess } from "../auth/require-workspace-access.js";
import type { Store, TokenRecord } from "../store/store.js";
import {
  validateCreateApiTokenRequest,
  validateListApiTokensRequest,
  validateRevokeApiTokenRequest,
} from "../validation/validate-token-requests.js";

export interface TokenServiceOptions {
  store: Store;
}

/** A token's metadata as the API shows it (never the token, never its hash). */
export function apiTokenMessage(record: Pick<TokenRecord, "tokenId" | "workspaceIds" | "scopes" | "label" | "createdAt" | "revokedAt">): ApiToken {
  return create(ApiTokenSchema, {
    tokenId: record.tokenId,
    workspaceIds: record.workspaceIds,
    scopes: record.scopes,
    label: record.label,
    createTime: timestampFromMs(record.createdAt),
    ...(record.revokedAt !== undefined ? { revokeTime: timestampFromMs(record.revokedAt) } : {}),
  });
}

/**
 * Creates, lists and revokes the API tokens of a workspace. The auth
 * interceptor lets only tokens with the `admin` scope in; each call then needs
 * its token to cover the path's workspace (`not_found` otherwise).
 */
export function createTokenService(options: TokenServiceOptions): ServiceImpl<typeof TokenService> {
  const { store } = options;
  return {
    async createApiToken(req, ctx) {
      validateCreateApiTokenRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      const issued = await createApiToken(store, { workspaceIds: [req.workspaceId], scopes: req.scopes, label: req.label });
      return { token: issued.token, apiToken: apiTokenMessage({ ...issued, revokedAt: undefined }) };
    },

    async listApiTokens(req, ctx) {
      validateListApiTokensRequest(req);
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const tokens = await listApiTokens(store, req.workspaceId, principal.workspaceIds, ctx.signal);
      return { apiTokens: tokens.map(apiTokenMessage) };
    },

    async revokeApiToken(req, ctx) {
      validateRevokeApiTokenRequest(req);
      const principal = requireWorkspaceAccess(ctx, req.workspaceId);
      const revoked = await revokeApiToken(store, req.workspaceId, req.tokenId, { signal: ctx.signal });
      return { apiToken: apiTokenMessage({ ...revoked, workspaceIds: revoked.workspaceIds.filter((id) => principal.workspaceIds.has(id)) }) };
    },
  };
}
