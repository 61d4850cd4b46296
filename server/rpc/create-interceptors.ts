import type { Interceptor } from "@connectrpc/connect";
import { createAuthInterceptor } from "../auth/create-auth-interceptor.js";
import { createRevocationInterceptor } from "../auth/create-revocation-interceptor.js";
import type { RevocationWatch } from "../auth/create-revocation-watch.js";
import type { TokenCache } from "../auth/create-token-cache.js";
import { createErrorSanitizer } from "../errors/create-error-sanitizer.js";
import type { Store } from "../store/store.js";
import type { Logger } from "../telemetry/create-logger.js";
import type { Metrics } from "../telemetry/create-metrics.js";
import { createObservingInterceptor } from "../telemetry/create-observing-interceptor.js";

export interface InterceptorsOptions {
  store: Store;
  tokens: TokenCache;
  revocations: RevocationWatch;
  logger: Logger;
  metrics?: Metrics | undefined;
  /** Where errors that are not `ConnectError` go (the caller gets `internal`). */
  log: (message: string, error: unknown) => void;
  /** Aborted at shutdown: a call that still arrives is refused with its reason. */
  shutdown: AbortSignal;
  /** Services whose calls need no token. */
  publicServices: readonly string[];
}

/**
 * Every call's interceptors, outermost first, the same for every protocol
 * (REST runs them too): the access log, the error sanitizer, the shutdown
 * refusal, authentication, and the revocation watch of server streams.
 */
export function createInterceptors(options: InterceptorsOptions): Interceptor[] {
  const { store, tokens, shutdown } = options;
  return [
    createObservingInterceptor({ logger: options.logger, metrics: options.metrics }),
    createErrorSanitizer(options.log),
    // Once shut down, a call that still arrives (on a kept-alive connection) is refused, not served.
    (next) => async (req) => {
      if (shutdown.aborted) throw shutdown.reason;
      return next(req);
    },
    createAuthInterceptor({ store, tokens, publicServices: options.publicServices }),
    createRevocationInterceptor(options.revocations),
  ];
}
