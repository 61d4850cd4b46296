import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { DaemonService } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { Store } from "../store/store.js";
import { createTokenCache, type TokenCache } from "./create-token-cache.js";
import { kPrincipal, type Principal } from "./principal.js";
import { checkMethodScope } from "./required-scope.js";

export interface AuthInterceptorOptions {
  /** Where tokens and machines are looked up. */
  store: Store;
  /** The cache tokens are looked up through (the app's, shared with the auth gate). Default: the store, uncached. */
  tokens?: TokenCache;
  /**
   * Fully qualified names of services anyone may call without a token (for
   * example `grpc.health.v1.Health`). Default: none.
   */
  publicServices?: readonly string[];
}

/**
 * Resolves the bearer token of every call to a principal and stores it under
 * `kPrincipal` in the call's context values. Missing, malformed, unknown or
 * revoked tokens are `unauthenticated`. `workspaces.v1.DaemonService` takes
 * machine tokens only and every other service API tokens only; the wrong kind
 * is `permission_denied`, and so is an API token without the scope the
 * method needs (`requiredScope`).
 *
 * A principal already in the context values was put there by the auth gate
 * in front of the body (`createAuthGate`, which only the server's own Node
 * handler runs): it is not looked up again, only its kind is checked.
 *
 * It reads only `service`, `method`, `header`, `signal` and `contextValues` of the
 * request, so the REST layer can run it on the request objects it builds.
 */
export function createAuthInterceptor(options: AuthInterceptorOptions): Interceptor {
  const tokens = options.tokens ?? createTokenCache({ store: options.store, ttlMs: 0 });
  const publicServices = new Set(options.publicServices ?? []);
  return (next) => async (req) => {
    const typeName = req.service.typeName;
    if (publicServices.has(typeName)) return next(req);
    // The auth gate in front of the body (createAuthGate) may have resolved it already.
    const early = req.contextValues.get(kPrincipal);
    const principal = early ?? (await tokens.authenticate(req.header.get("authorization"), req.signal));
    checkPrincipalKind(typeName, principal);
    checkMethodScope(req.method, principal);
    req.contextValues.set(kPrincipal, principal);
    return next(req);
  };
}

/**
 * Throws `permission_denied` unless `principal` is the kind of token the
 * service takes: machine tokens for `workspaces.v1.DaemonService`, API tokens
 * for every other service.
 */
export function checkPrincipalKind(typeName: string, principal: Principal): void {
  const daemonCall = typeName === DaemonService.typeName;
  if (daemonCall && principal.kind !== "machine") {
    throw new ConnectError("API tokens cannot call DaemonService", Code.PermissionDenied);
  }
  if (!daemonCall && principal.kind !== "api") {
    throw new ConnectError("machine tokens can only call DaemonService", Code.PermissionDenied);
  }
}
