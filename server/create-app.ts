import { setMaxListeners } from "node:events";
import { Code, ConnectError, type ConnectRouter, type ConnectRouterOptions, type ContextValues, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import path from "node:path";
import { file_health_v1_health, Health } from "../gen/health/v1/health_pb.js";
import { authorizeMetrics } from "./auth/authorize-metrics.js";
import { createAuthGate } from "./auth/create-auth-gate.js";
import { createInterceptors } from "./rpc/create-interceptors.js";
import { createServiceBindings, serviceFiles } from "./create-service-bindings.js";
import { createRevocationWatch } from "./auth/create-revocation-watch.js";
import { createTokenCache, type TokenCache } from "./auth/create-token-cache.js";
import { createHealthService } from "./health/create-health-service.js";
import { createHealthStatus, type HealthStatus } from "./health/create-health-status.js";
import { createHttpHealthHandler } from "./health/create-http-health-handler.js";
import { createReadiness, type Readiness } from "./health/create-readiness.js";
import { createApiDocument } from "./openapi/create-api-document.js";
import { createOpenApiHandler } from "./openapi/create-openapi-handler.js";
import { createDescFileRegistry } from "./reflection/create-desc-file-registry.js";
import { createReflectionServices } from "./reflection/create-reflection-services.js";
import { packageInfo } from "../client/package-info.js";
import type { Backplane } from "./hub/backplane.js";
import { createDaemonHub, type DaemonHub } from "./hub/create-daemon-hub.js";
import { createLocalBackplane } from "./hub/create-local-backplane.js";
import { createLauncher } from "./launch/create-launcher.js";
import { defaultRequestLimits, type RequestLimits } from "./limits/request-limits.js";
import { createRestHandler } from "./rest/create-rest-handler.js";
import type { NodeHandler } from "./rpc/node-handler.js";
import { createSessionEventBus } from "./sessions/create-session-event-bus.js";
import { createSessionLifecycle } from "./sessions/create-session-lifecycle.js";
import { createSessionReader } from "./sessions/create-session-reader.js";
import type { Store } from "./store/store.js";
import { type Logger, silentLogger } from "./telemetry/create-logger.js";
import type { Metrics } from "./telemetry/create-metrics.js";
import { createMetricsHandler } from "./telemetry/create-metrics-handler.js";
import { observeHub } from "./telemetry/observe-hub.js";
import { kCallInfo, requestIdOf } from "./telemetry/request-context.js";
import { createCorsHandler } from "./web/create-cors-handler.js";
import { createStaticHandler } from "./web/create-static-handler.js";
import { createWebhookDispatcher } from "./webhooks/create-webhook-dispatcher.js";
import { strictJsonOptions } from "./rpc/strict-json-options.js";

/** The built browser page (`npm run build`, run by `npm ci` in a checkout; shipped in the package). */
const defaultWebRoot = () => path.join(packageInfo().root, "dist/web");

export interface AppOptions {
  store: Store;
  /** How long a launch waits for the daemon's acknowledgement. Default 15 000 ms. */
  launchDeadlineMs?: number;
  /** Time between sweeps for permission requests nobody answered in time. Default 1 000 ms. */
  approvalSweepMs?: number;
  /** Longest time between the webhook dispatcher's looks for due deliveries (events stored here nudge it sooner). Default 2 000 ms. */
  webhookPollMs?: number;
  /** Keep-alive interval on idle session streams. Default 15 000 ms. */
  heartbeatMs?: number;
  /** Ping interval on idle daemon command streams. Default 15 000 ms. */
  pingIntervalMs?: number;
  /** Largest request body accepted, for every protocol. Default 1 MiB. */
  readMaxBytes?: number;
  /** Origins (besides the served page's own) whose scripts may call the API. Default: none. */
  corsOrigins?: readonly string[];
  /** Directory of the built browser page served at `/`. Default: `dist/web` of this checkout. */
  webRoot?: string;
  /** How often the tokens of open streams are checked for revocation (their streams then end `unauthenticated`). Default 1 000 ms. */
  revocationCheckMs?: number;
  /**
   * How long a token lookup is reused and how many are kept (see
   * `createTokenCache`): `ttlMs` default 2 000 (0 keeps none), `maxEntries`
   * default 10 000. A revocation empties it at once, on every replica.
   */
  tokenCache?: { ttlMs?: number; maxEntries?: number };
  /** How replicas share daemon streams, acks and events. Default: this process only. */
  backplane?: Backplane;
  /**
   * Structured logs: one access line per call (see `createObservingInterceptor`)
   * and the app's own errors. Default: none are written.
   */
  logger?: Logger;
  /** Where internal errors are logged. Default: `logger.error`, or stderr without a logger. */
  log?: (message: string, error?: unknown) => void;
  /**
   * Rate limits per client address and per token, and the cap on concurrent
   * Watch streams per token; each field defaults as `defaultRequestLimits`
   * (`server/limits/request-limits.ts`) says: 2000/s (burst 4000) per address,
   * 1000/s (burst 2000) per token, 10/s (burst 100) failed authentications per
   * address, 100 Watch streams per token.
   */
  limits?: RequestLimits;
  /**
   * How long a daemon's connection has to answer an HTTP/2 PING when another
   * daemon instance subscribes for its machine: answered, the newcomer is
   * refused `already_exists`; not, the old stream is closed and the newcomer
   * takes over. Default 5000 ms.
   */
  takeoverProbeMs?: number;
  /** Prometheus metrics to record. Default: none recorded, no `/metrics`. */
  metrics?: Metrics;
  /**
   * Whether this port serves `GET /metrics` (to API tokens only). Default true
   * when `metrics` is given; false when they have a listener of their own.
   */
  metricsOnMainPort?: boolean;
  /** Whether the store's migrations ran, for `/readyz`. Default: yes. */
  migrated?: () => boolean;
}

export interface App {
  /** Serves gRPC, gRPC-Web, Connect and REST; hand it to an HTTP/1.1 or HTTP/2 server. */
  handler: NodeHandler;
  /**
   * Registers every service on a Connect router: with `interceptors`, what an
   * in-memory transport (`createRouterTransport`) needs to reach the same app
   * without a socket.
   */
  routes: (router: ConnectRouter) => void;
  /** The interceptor chain every protocol runs (error sanitizing, then auth), outermost first. */
  interceptors: Interceptor[];
  /** What a Connect router serving `routes` needs besides: the interceptors, the body limit and the shutdown signal. */
  routerOptions: ConnectRouterOptions;
  hub: DaemonHub;
  /** The token lookups every protocol's authentication shares (started with the app). */
  tokens: TokenCache;
  /** The gRPC health registry; `close()` turns every service NOT_SERVING. */
  health: HealthStatus;
  /** What `/readyz` checks; gRPC health follows it. */
  readiness: Readiness;
  /**
   * Shuts down gracefully: health and readiness turn NOT_SERVING, launches in
   * flight get up to `graceMs` to settle, then every stream (daemons,
   * watchers) ends with `unavailable` so clients reconnect elsewhere; machines
   * are not marked offline for it (their daemons come back). Default grace
   * 3 000 ms. The store and backplane are the caller's to close.
   */
  shutdown(options?: { graceMs?: number }): Promise<void>;
  /** `shutdown` at once: no grace for launches in flight. */
  close(): void;
}

/**
 * Wires the server: one set of service implementations behind one interceptor
 * chain (error sanitizing, then auth), served by Connect's handler for gRPC,
 * gRPC-Web and Connect, and by the REST transcoder for the annotated routes.
 */
export function createApp(options: AppOptions): App {
  const { store } = options;
  const logger = options.logger ?? silentLogger();
  const log =
    options.log ??
    (options.logger
      ? (message: string, error?: unknown) => logger.error(error === undefined ? {} : { err: error }, message)
      : (message: string, error?: unknown) => console.error(message, error ?? ""));
  const { metrics } = options;
  const readMaxBytes = options.readMaxBytes ?? 1024 * 1024;
  const webhooks = createWebhookDispatcher({ store, log, ...(options.webhookPollMs !== undefined ? { pollMs: options.webhookPollMs } : {}) });
  const backplane = webhooks.watch(options.backplane ?? createLocalBackplane());
  const events = createSessionEventBus({ store, backplane, log });
  const lifecycle = createSessionLifecycle({ store, events });
  const hub = observeHub(
    createDaemonHub({
    store,
    backplane,
    log,
    ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
    onOffline(machineId) {
      store
        .recordMachineSeen(machineId, { now: Date.now() })
        .then(() => lifecycle.machineOffline(machineId))
        .catch((error: unknown) => log(`marking machine ${machineId} offline failed`, error));
    },
    }),
    metrics,
  );
  const launcher = createLauncher({ store, hub, events, lifecycle, log,
    ...(options.launchDeadlineMs !== undefined ? { launchDeadlineMs: options.launchDeadlineMs } : {}),
    ...(options.approvalSweepMs !== undefined ? { approvalSweepMs: options.approvalSweepMs } : {}),
  });
  const sessions = createSessionReader({ store, events });
  for (const sweeper of [launcher.reconciler, launcher.approvalReconciler]) sweeper.start();

  const services = createServiceBindings({ store, hub, launcher, lifecycle, events, sessions,
    maxWatchStreamsPerToken: options.limits?.watchStreamsPerToken ?? defaultRequestLimits.watchStreamsPerToken,
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  // Health and reflection answer without a token: load balancers and tools
  // like buf curl and grpcurl call them before they have one.
  const health = createHealthStatus(Object.fromEntries(["", ...services.map((s) => s.service.typeName)].map((n) => [n, "SERVING"])));
  const reflection = createReflectionServices({
    registry: createDescFileRegistry(...serviceFiles, file_health_v1_health),
    serviceNames: [...services.map((s) => s.service.typeName), Health.typeName],
  });
  const publicServices = [createHealthService(health), ...reflection];
  // One cache for the gate, the interceptor and /metrics: the caller's launch and the daemon's acknowledgement share it.
  const tokens = createTokenCache({ store, log, ...options.tokenCache });
  void tokens.start();
  const revocations = createRevocationWatch({
    store,
    log,
    epoch: () => store.tokenChanges?.epoch(),
    ...(options.revocationCheckMs !== undefined ? { intervalMs: options.revocationCheckMs } : {}),
  });
  // Aborted at shutdown: every handler's signal follows it, so streams end with its code.
  const shutdown = new AbortController();
  // Connect links every call's signal to it (one listener per call in flight): many is expected, not a leak.
  setMaxListeners(0, shutdown.signal);
  const readiness = createReadiness({ store, health, ...(options.migrated ? { migrated: options.migrated } : {}) });
  const publicNames = publicServices.map((s) => s.service.typeName);
  const interceptors = createInterceptors({ store, tokens, revocations, logger, metrics, log, shutdown: shutdown.signal, publicServices: publicNames });

  const routes = (router: ConnectRouter) => {
    for (const { service, impl } of [...services, ...publicServices]) router.service(service, impl);
  };
  // What every call's interceptors read of its HTTP request: the gate's principal, the request id and HTTP version.
  const withCallInfo = (values: ContextValues, req: Parameters<NodeHandler>[0], protocol: string | undefined) => {
    values.set(kCallInfo, { requestId: requestIdOf(req), httpVersion: req.httpVersion, ...(protocol ? { protocol } : {}) });
    return values;
  };
  const callValues = (protocol: string | undefined) => (req: Parameters<NodeHandler>[0]) => withCallInfo(gate.contextValues(req), req, protocol);
  // Tokens and rate limits are checked on the headers, before any body is read.
  const gate = createAuthGate({
    store,
    tokens,
    protectedServices: services.map((s) => s.service.typeName),
    readMaxBytes,
    log,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.takeoverProbeMs !== undefined ? { probeTimeoutMs: options.takeoverProbeMs } : {}),
  });
  const connect = gate.guard(
    connectNodeAdapter({
      routes,
      interceptors,
      readMaxBytes,
      contextValues: callValues(undefined),
      jsonOptions: strictJsonOptions,
      shutdownSignal: shutdown.signal,
    }),
  );
  const rest = createRestHandler({
    services,
    interceptors,
    readMaxBytes,
    shutdownSignal: shutdown.signal,
    // The gate's values, with what the observing interceptor reads (REST asks no contextValues once admitted).
    admit: async (req, method) => withCallInfo(await gate.admit(req, method.parent.typeName), req, "rest"),
    contextValues: callValues("rest"),
    onInternalError: (error, method) => log(`REST ${method.parent.typeName}.${method.name} failed`, error),
  });
  const cors = createCorsHandler({ allowedOrigins: options.corsOrigins ?? [] });
  const openapi = createOpenApiHandler(() => createApiDocument(services.map((s) => s.service)));
  const healthz = createHttpHealthHandler(readiness);
  const metricsPage =
    metrics && (options.metricsOnMainPort ?? true)
      ? createMetricsHandler({ metrics, authorize: authorizeMetrics(store, tokens) })
      : () => false;
  const page = createStaticHandler({ root: options.webRoot ?? defaultWebRoot() });

  let shuttingDown: Promise<void> | undefined;
  function stopTaking(): void {
    readiness.shutDown();
    revocations.close();
    launcher.close();
  }
  function endStreams(): void {
    // The signal first: streams then end with its code, not as if the server had nothing more to say.
    shutdown.abort(new ConnectError("the server is shutting down; reconnect or retry", Code.Unavailable));
    hub.close({ offline: false });
  }
  function shutdownApp(shutdownOptions: { graceMs?: number } = {}): Promise<void> {
    shuttingDown ??= (async () => {
      stopTaking();
      await Promise.all([launcher.drain(shutdownOptions.graceMs ?? 3_000), webhooks.close()]);
      endStreams();
    })();
    return shuttingDown;
  }

  return {
    // CORS preflights are answered before any RPC handler; then the page and
    // the OpenAPI document, REST routes, and Connect (gRPC, gRPC-Web, Connect).
    handler(req, res) {
      res.setHeader("x-request-id", requestIdOf(req));
      if (healthz(req, res) || metricsPage(req, res)) return;
      if (cors(req, res) || page(req, res) || openapi(req, res) || rest(req, res)) return;
      connect(req, res);
    },
    routes,
    interceptors,
    routerOptions: { interceptors, readMaxBytes, shutdownSignal: shutdown.signal },
    hub,
    tokens,
    health,
    readiness,
    shutdown: shutdownApp,
    close() {
      stopTaking();
      void webhooks.close();
      endStreams();
    },
  };
}
