import type { RateLimit } from "./create-rate-limiter.js";

/**
 * Rate limits on API calls (every service but health and reflection; the page
 * and `/openapi.json` are not limited). Each is a token bucket; `false` turns
 * one off. A refused call is `resource_exhausted` (HTTP 429) with a
 * `Retry-After` header (seconds), before its body is read.
 */
export interface RequestLimits {
  /** Calls from one client address (the TCP peer; proxies are not trusted). Default 2000/s, burst 4000. */
  perAddress?: RateLimit | false;
  /** Calls with one token, once it is known to be valid. Default 1000/s, burst 2000. */
  perToken?: RateLimit | false;
  /**
   * Calls refused `unauthenticated` (missing, malformed, unknown or revoked
   * token) from one address: once its bucket is empty the address gets 429
   * without a token lookup until it refills. Default 10/s, burst 100.
   */
  authFailuresPerAddress?: RateLimit | false;
  /** Concurrent `WatchWorkspaceSession` streams of one API token. Default 100. */
  watchStreamsPerToken?: number;
}

/** The defaults of `RequestLimits`: far above what one honest client does, far below a flood. */
export const defaultRequestLimits = {
  perAddress: { ratePerSecond: 2000, burst: 4000 },
  perToken: { ratePerSecond: 1000, burst: 2000 },
  authFailuresPerAddress: { ratePerSecond: 10, burst: 100 },
  watchStreamsPerToken: 100,
} as const satisfies Required<RequestLimits>;

/** Default HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`: streams one connection may have open at once. */
export const defaultMaxConcurrentStreams = 100;
