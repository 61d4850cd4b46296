import { cors } from "@connectrpc/connect";
import type { NodeHandler } from "../rpc/node-handler.js";

export interface CorsHandlerOptions {
  /**
   * Origins whose scripts may call the API, e.g. "https://app.example.com"
   * (scheme, host and port; a trailing slash is ignored). "*" allows every
   * origin. Default: none, so only same-origin pages (the served page) call it.
   */
  allowedOrigins?: readonly string[];
  /** How long a browser may cache a preflight answer, in seconds. Default 7200 (Chromium's cap). */
  maxAgeSeconds?: number;
}

/** Answers a preflight and returns true; otherwise sets headers (if any) and returns false. */
export type CorsHandler = NodeHandler<boolean>;

// What we use of both response classes, so calls need no overload juggling.
interface ResponseLike {
  setHeader(name: string, value: string): unknown;
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body?: string): unknown;
}

/** Headers our API reads beyond Connect's own: the bearer token and the launch's idempotency key. */
export const corsAllowedHeaders: readonly string[] = [...cors.allowedHeaders, "Authorization", "Idempotency-Key"];
export const corsAllowedMethods: readonly string[] = [...cors.allowedMethods];
export const corsExposedHeaders: readonly string[] = [...cors.exposedHeaders];

/**
 * Normalizes an allowed origin as a browser sends it in `Origin`: lower-case
 * scheme and host, the port only when not the scheme's default, no path.
 * Throws on anything that is not an http(s) origin.
 */
export function normalizeOrigin(origin: string): string {
  if (origin === "*") return origin;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new Error(`CORS origin ${JSON.stringify(origin)} is not a URL; use scheme://host[:port]`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || (url.pathname !== "/" && url.pathname !== "")) {
    throw new Error(`CORS origin ${JSON.stringify(origin)} must be http(s)://host[:port] without a path`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new Error(`CORS origin ${JSON.stringify(origin)} must be http(s)://host[:port] only`);
  }
  return url.origin;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * CORS for browser pages on other origins, for every protocol on the port
 * (Connect, gRPC-Web, REST). Put it first in the chain:
 * - a preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`) is
 *   answered here, before any RPC handler: 204 with the allowed methods and
 *   headers (Connect's lists from `@connectrpc/connect` plus `Authorization`
 *   and `Idempotency-Key`) for an allowed origin, 403 without CORS headers for
 *   any other; returns true;
 * - an actual request from an allowed origin gets `Access-Control-Allow-Origin`
 *   and `Access-Control-Expose-Headers` set, and returns false so the next
 *   handler answers it. Requests without `Origin` cost one header lookup.
 * No `Access-Control-Allow-Credentials`: the API takes bearer tokens, not cookies.
 */
export function createCorsHandler(options: CorsHandlerOptions = {}): CorsHandler {
  const origins = new Set((options.allowedOrigins ?? []).map(normalizeOrigin));
  const anyOrigin = origins.has("*");
  const allowMethods = corsAllowedMethods.join(", ");
  const allowHeaders = corsAllowedHeaders.join(", ");
  const exposeHeaders = corsExposedHeaders.join(", ");
  const maxAge = String(options.maxAgeSeconds ?? 7200);
  const allowed = (origin: string) => anyOrigin || origins.has(origin);

  return (req, res) => {
    const origin = header(req.headers.origin);
    if (origin === undefined) return false;
    const r = res as unknown as ResponseLike;
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (preflight) {
      const vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
      if (!allowed(origin)) {
        const body = "origin not allowed\n";
        r.writeHead(403, { vary, "content-type": "text/plain; charset=utf-8", "content-length": String(body.length) });
        r.end(body);
        return true;
      }
      const headers: Record<string, string> = {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": allowMethods,
        "access-control-allow-headers": allowHeaders,
        "access-control-max-age": maxAge,
        vary,
        "content-length": "0",
      };
      // Chromium's Private Network Access: a public page calling a server on a private address asks first.
      if (req.headers["access-control-request-private-network"] === "true") {
        headers["access-control-allow-private-network"] = "true";
      }
      r.writeHead(204, headers);
      r.end();
      return true;
    }
    r.setHeader("vary", "Origin");
    if (allowed(origin)) {
      r.setHeader("access-control-allow-origin", origin);
      r.setHeader("access-control-expose-headers", exposeHeaders);
    }
    return false;
  };
}
