import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { kPrincipal, type Principal } from "./principal.js";

export type ApiPrincipal = Extract<Principal, { kind: "api" }>;

/**
 * The principal the auth interceptor resolved for this call; `unauthenticated`
 * when there is none (a handler reached without the interceptor).
 */
export function requirePrincipal(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(kPrincipal);
  if (principal === undefined) throw new ConnectError("missing or invalid bearer token", Code.Unauthenticated);
  return principal;
}

/**
 * The `not_found` error for a workspace. Handlers use it both for workspaces
 * the token does not cover and for workspaces that do not exist, so the
 * answer never tells them apart.
 */
export function workspaceNotFound(workspaceId: string): ConnectError {
  return new ConnectError(`workspace ${workspaceId} not found`, Code.NotFound);
}

/**
 * The API principal of this call when its token covers `workspaceId`; else
 * `not_found` with exactly the error of a workspace that does not exist.
 */
export function requireWorkspaceAccess(ctx: HandlerContext, workspaceId: string): ApiPrincipal {
  const principal = requirePrincipal(ctx);
  if (principal.kind !== "api" || !principal.workspaceIds.has(workspaceId)) throw workspaceNotFound(workspaceId);
  return principal;
}
