import { Code, ConnectError, type ContextValues, createContextValues } from "@connectrpc/connect";
import { createRateLimiter, type RateLimiter, type RateLimit } from "../limits/create-rate-limiter.js";
import { defaultRequestLimits, type RequestLimits } from "../limits/request-limits.js";
import { discardBody } from "../rpc/discard-body.js";
import type { NodeHandler, NodeRequest } from "../rpc/node-handler.js";
import { writeProtocolError } from "../rpc/write-protocol-error.js";
import type { Store } from "../store/store.js";
import { connectionProbe, kConnectionProbe } from "../transport/connection-probe.js";
import { checkPrincipalKind } from "./create-auth-interceptor.js";
import { createTokenCache, type TokenCache } from "./create-token-cache.js";
import { kPrincipal, type Principal } from "./principal.js";

export interface AuthGateOptions {
  /** Where tokens and machines are looked up. */
  store: Store;
  /** The cache tokens are looked up through (the app's, shared with the auth interceptor). Default: the store, uncached. */
  tokens?: TokenCache;
  /** Fully qualified names of the services whose calls need a token; calls to any other path pass untouched. */
  protectedServices: readonly string[];
  /** Rate limits; each field defaults as `defaultRequestLimits` says. */
  limits?: RequestLimits;
  /** How long a daemon's connection has to answer a PING when another instance asks for its machine. Default 5000 ms. */
  probeTimeoutMs?: number;
  /** Largest body worth draining after a refusal (see `discardBody`). Default 1 MiB. */
  readMaxBytes?: number;
  /** Told about errors that are not `ConnectError` (the caller gets `internal`). Default: stderr. */
  log?: (message: string, error?: unknown) => void;
}

/**
 * Authentication and rate limits in front of the body: a call is checked from
 * its headers alone, before a byte of its body is read or parsed, on every
 * protocol.
 */
export interface AuthGate {
  /**
   * Admits a call to a protected service: the per-address limit, then (unless
   * that address has failed too often) the bearer token and its kind, then the
   * per-token limit. Resolves with the call's context values, carrying its
   * principal under `kPrincipal` (so the auth interceptor does not look the
   * token up again) and, for machine tokens, a probe of the connection under
   * `kConnectionProbe` (see `DaemonHub.checkTakeover`); rejects with `unauthenticated`, `permission_denied` or
   * `resource_exhausted` (with a `retry-after` header in its metadata).
   */
  admit(req: NodeRequest, typeName: string): Promise<ContextValues>;
  /**
   * Wraps Connect's handler (gRPC, gRPC-Web, Connect): a call to a protected
   * service (`/<service>/<method>`) is admitted first and refused in its
   * protocol's own framing (`writeProtocolError`), the rest of its body
   * dropped as it arrives (`discardBody`); Connect only sees admitted
   * calls. Pair it with `contextValues` as connect-node's `contextValues` option.
   */
  guard(connect: NodeHandler): NodeHandler;
  /** The context values `guard` admitted a request with (fresh ones for a request it passed through). */
  contextValues(req: NodeRequest): ContextValues;
}

function limiterOf(limit: RateLimit | false | undefined, fallback: RateLimit): RateLimiter | undefined {
  if (limit === false) return undefined;
  return createRateLimiter(limit ?? fallback);
}

/** `resource_exhausted` with a whole number of seconds to wait, as `retry-after` metadata. */
export function rateLimited(what: string, waitMs: number): ConnectError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new ConnectError(`rate limit exceeded: too many requests ${what}; retry after ${seconds} s`, Code.ResourceExhausted, {
    "retry-after": String(seconds),
  });
}

/** `"pkg.Service"` of a `/pkg.Service/Method` request target, else undefined. */
export function serviceOfPath(target: string | undefined): string | undefined {
  if (target === undefined || target.charCodeAt(0) !== 0x2f /* / */) return undefined;
  const end = target.indexOf("/", 1);
  return end > 1 ? target.slice(1, end) : undefined;
}

function isGrpcWebText(req: NodeRequest): boolean {
  return /^application\/grpc-web-text/i.test(String(req.headers["content-type"] ?? ""));
}

/**
 * The auth gate: see `AuthGate`. Limits are kept per process (each replica
 * counts its own callers).
 */
export function createAuthGate(options: AuthGateOptions): AuthGate {
  const tokens = options.tokens ?? createTokenCache({ store: options.store, ttlMs: 0 });
  const log = options.log ?? ((message, error) => console.error(message, error ?? ""));
  const protectedServices = new Set(options.protectedServices);
  const limits = options.limits ?? {};
  const perAddress = limiterOf(limits.perAddress, defaultRequestLimits.perAddress);
  const perToken = limiterOf(limits.perToken, defaultRequestLimits.perToken);
  const authFailures = limiterOf(limits.authFailuresPerAddress, defaultRequestLimits.authFailuresPerAddress);
  const readMaxBytes = options.readMaxBytes ?? 1024 * 1024;
  const probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
  const admitted = new WeakMap<NodeRequest, ContextValues>();

  async function admit(req: NodeRequest, typeName: string): Promise<ContextValues> {
    const address = req.socket?.remoteAddress ?? "";
    const addressWait = perAddress?.take(address) ?? 0;
    if (addressWait > 0) throw rateLimited("from this address", addressWait);
    const failedWait = authFailures?.wait(address) ?? 0;
    if (failedWait > 0) throw rateLimited("with a missing or invalid token from this address", failedWait);
    const authorization = req.headers.authorization;
    let principal: Principal;
    try {
      principal = await tokens.authenticate(typeof authorization === "string" ? authorization : null);
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.Unauthenticated) authFailures?.take(address);
      throw error;
    }
    checkPrincipalKind(typeName, principal);
    const tokenWait = perToken?.take(principal.tokenId) ?? 0;
    if (tokenWait > 0) throw rateLimited("with this token", tokenWait);
    const values = createContextValues().set(kPrincipal, principal);
    // A daemon's Subscribe must prove its connection alive to keep the machine from another instance.
    if (principal.kind === "machine") values.set(kConnectionProbe, connectionProbe(req, probeTimeoutMs));
    return values;
  }

  function sanitized(error: unknown): ConnectError {
    if (error instanceof ConnectError) return error;
    log("internal error", error);
    return new ConnectError("internal error", Code.Internal);
  }

  return {
    admit(req, typeName) {
      return admit(req, typeName).catch((error: unknown) => {
        throw sanitized(error);
      });
    },
    guard(connect) {
      return (req, res) => {
        const typeName = serviceOfPath(req.url);
        // gRPC-Web text mode is refused 415 by Connect on its headers, before any body is read.
        if (typeName === undefined || !protectedServices.has(typeName) || isGrpcWebText(req)) {
          connect(req, res);
          return;
        }
        admit(req, typeName).then(
          (values) => {
            admitted.set(req, values);
            connect(req, res);
          },
          (error: unknown) => {
            writeProtocolError(req, res, sanitized(error));
            discardBody(req, res, readMaxBytes);
          },
        ).catch((error: unknown) => log("the RPC handler failed", error));
      };
    },
    contextValues(req) {
      return admitted.get(req) ?? createContextValues();
    },
  };
}
