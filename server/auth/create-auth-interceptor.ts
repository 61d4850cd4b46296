import { timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { DaemonService } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { Store } from "../store/store.js";
import { hashToken, parseBearer } from "./api-token.js";
import { kPrincipal, type Principal } from "./principal.js";
import { checkMethodScope } from "./required-scope.js";

export interface AuthInterceptorOptions {
  /** Where tokens and machines are looked up. */
  store: Store;
  /**
   * Fully qualified names of services anyone may call without a token (for
   * example `grpc.health.v1.Health`). Default: none.
   */
  publicServices?: readonly string[];
}

/** The one message for every authentication failure; it never echoes the token. */
const unauthenticatedMessage = "missing or invalid bearer token";

function unauthenticated(): ConnectError {
  return new ConnectError(unauthenticatedMessage, Code.Unauthenticated);
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
  const { store } = options;
  const publicServices = new Set(options.publicServices ?? []);
  return (next) => async (req) => {
    const typeName = req.service.typeName;
    if (publicServices.has(typeName)) return next(req);
    // The auth gate in front of the body (createAuthGate) may have resolved it already.
    const early = req.contextValues.get(kPrincipal);
    const principal = early ?? (await authenticate(store, req.header.get("authorization"), req.signal));
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

/**
 * The principal of an `Authorization` header value; throws `unauthenticated`
 * when there is none. Exported for transports that authenticate outside an
 * interceptor chain.
 */
export async function authenticate(store: Store, authorization: string | null, signal?: AbortSignal): Promise<Principal> {
  const token = parseBearer(authorization);
  if (token === undefined) throw unauthenticated();
  const hashHex = hashToken(token);
  const record = await store.findTokenByHash(hashHex, signal);
  if (record === undefined || record.revokedAt !== undefined || !sameHash(record.hashHex, hashHex)) {
    throw unauthenticated();
  }
  if (record.kind === "api") {
    if (record.workspaceIds.length === 0) throw unauthenticated();
    return { kind: "api", tokenId: record.tokenId, workspaceIds: new Set(record.workspaceIds), scopes: new Set(record.scopes) };
  }
  if (record.machineId === undefined) throw unauthenticated();
  const machine = await store.getMachine(record.machineId, signal);
  // A token for a machine that no longer exists speaks for nobody.
  if (machine === undefined) throw unauthenticated();
  return { kind: "machine", tokenId: record.tokenId, machineId: machine.machineId, workspaceId: machine.workspaceId };
}

/** Constant-time comparison of two hex SHA-256 digests. */
function sameHash(storedHex: string, computedHex: string): boolean {
  const stored = Buffer.from(storedHex, "hex");
  const computed = Buffer.from(computedHex, "hex");
  return stored.length === 32 && computed.length === 32 && timingSafeEqual(stored, computed);
}
