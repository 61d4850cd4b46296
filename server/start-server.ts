import { Code, ConnectError } from "@connectrpc/connect";
import type { AppOptions, createApp } from "./create-app.js";
import type { Backplane } from "./hub/backplane.js";
import type { RateLimit } from "./limits/create-rate-limiter.js";
import type { RequestLimits } from "./limits/request-limits.js";
import type { NodeHandler } from "./rpc/node-handler.js";
import type { Store } from "./store/store.js";
import type { Metrics } from "./telemetry/create-metrics.js";
import type { OnePortServer } from "./transport/listen-one-port.js";
import type { TlsFilePaths } from "./transport/read-tls-files.js";
import { normalizeOrigin } from "./web/create-cors-handler.js";

// What callers of the door need besides startServer: checking a --cors-origin
// flag before starting, and the shapes of the options.
export { normalizeOrigin };
export type { RateLimit, RequestLimits, TlsFilePaths };
// The process-wide plumbing the command line shares with the server (its
// daemon too): structured logs and traces. The server itself is loaded only
// when `startServer` runs.
export { createLogger, type Logger, type LoggerOptions, type LogLevel, logLevels } from "./telemetry/create-logger.js";
export { contextFromCarrier, startTracing, type Tracing } from "./telemetry/start-tracing.js";

/** The modules of the server, loaded on the first `startServer`, so the door stays cheap to import. */
async function loadServer() {
  const [app, open, backplane, store, metrics, metricsPage, observe, listenError, listen, tlsFiles] = await Promise.all([
    import("./create-app.js"),
    import("./errors/describe-open-error.js"),
    import("./hub/open-backplane.js"),
    import("./store/open-store.js"),
    import("./telemetry/create-metrics.js"),
    import("./telemetry/create-metrics-handler.js"),
    import("./telemetry/observe-store.js"),
    import("./transport/describe-listen-error.js"),
    import("./transport/listen-one-port.js"),
    import("./transport/read-tls-files.js"),
  ]);
  return {
    ...app,
    ...open,
    ...backplane,
    ...store,
    ...metrics,
    ...metricsPage,
    ...observe,
    ...listenError,
    ...listen,
    ...tlsFiles,
  };
}

/** The defaults of `startServer`, for callers that print or compose them. */
export const serverDefaults = {
  host: "127.0.0.1",
  port: 8080,
  database: "./data/wsctl.db",
  closeGraceMs: 3_000,
} as const;

/**
 * How to run a server. Besides the fields below it takes every option of
 * `createApp` but the store, with their defaults: `launchDeadlineMs` (15 000),
 * `heartbeatMs` and `pingIntervalMs` (15 000 each: the keep-alive on idle
 * session and daemon streams), `readMaxBytes` (1 MiB), `corsOrigins` (none),
 * `webRoot` (`dist/web` of this checkout), `limits` (`defaultRequestLimits`)
 * and `log` (stderr).
 */
export interface StartServerOptions extends Omit<AppOptions, "store" | "backplane" | "metrics" | "metricsOnMainPort" | "migrated"> {
  /** Address to bind. Default "127.0.0.1"; "0.0.0.0" or "::" for every interface. */
  host?: string;
  /** TCP port. Default 8080; 0 picks a free port (read it from `RunningServer.port`). */
  port?: number;
  /**
   * The store: a SQLite file path (created with its directory when missing),
   * `:memory:` for a private in-memory database, or a `postgres://` URL.
   * Default "./data/wsctl.db".
   */
  database?: string;
  /** PEM certificate and key files: the port then speaks TLS only, ALPN choosing h2 or http/1.1. Default: cleartext. */
  tls?: TlsFilePaths;
  /** How long `close()` lets requests in flight finish before cutting them. Default 3000 ms. */
  closeGraceMs?: number;
  /** Record Prometheus metrics (`wsctl_*` and the process's). Default true. */
  metrics?: boolean;
  /**
   * Serve `GET /metrics` on this address of its own, without a token, and not
   * on the main port. Default: on the main port, to API tokens only.
   */
  metricsListen?: { host: string; port: number };
  /**
   * Streams one HTTP/2 connection may have open at once (more are refused with
   * REFUSED_STREAM). Default 100 (`defaultMaxConcurrentStreams`).
   */
  maxConcurrentStreams?: number;
  /**
   * On PostgreSQL: how long this replica's hold on a daemon's stream lasts
   * without renewal, so others take over within it when it dies. Default 6000 ms.
   */
  leaseMs?: number;
}

/** A server that is listening. */
export interface RunningServer {
  /** Base URL for clients on this machine, e.g. "http://127.0.0.1:43125" (https with TLS). */
  url: string;
  /** The bound port (the chosen one when `port` was 0). */
  port: number;
  /** The open store, for the functions of `server/admin/` (the dev bootstrap). `close()` closes it. */
  store: Store;
  /** Base URL of the metrics listener, when `metricsListen` was given. */
  metricsUrl?: string;
  /**
   * Stops in reverse order of starting: the app (health turns NOT_SERVING,
   * launches in flight get `closeGraceMs`, then every stream ends with
   * `unavailable`), then the listeners (GOAWAY, requests in flight get
   * `closeGraceMs`), then the backplane (leases given up), then the store.
   * Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * The one front door for running a server: reads the TLS files (when given),
 * binds the port (before anything is created, so a taken port leaves no
 * database behind), opens and migrates the store, builds the app and serves
 * gRPC, gRPC-Web, Connect and REST on that one port (answering 503 until the
 * app is built). Rejects with a ConnectError whose message says which step
 * failed: `invalid_argument` for a bad CORS origin or an unreadable TLS file,
 * `unavailable` for "cannot listen on HOST:PORT: <why>" and "cannot open the
 * database: <why>" (see `describeOpenError`). Whatever was opened before a
 * failure is closed again.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const {
    host = serverDefaults.host,
    port = serverDefaults.port,
    database = serverDefaults.database,
    tls: tlsPaths,
    closeGraceMs = serverDefaults.closeGraceMs,
    metrics: withMetrics = true,
    metricsListen,
    leaseMs,
    maxConcurrentStreams,
    ...appOptions
  } = options;
  const {
    createApp,
    describeOpenError,
    openBackplane,
    openStore,
    createMetrics,
    createMetricsHandler,
    observeStore,
    describeListenError,
    listenOnePort,
    readTlsFiles,
  } = await loadServer();
  for (const origin of appOptions.corsOrigins ?? []) {
    try {
      normalizeOrigin(origin);
    } catch (error) {
      throw new ConnectError(`corsOrigins: ${(error as Error).message}`, Code.InvalidArgument, undefined, undefined, error);
    }
  }
  let tls: Awaited<ReturnType<typeof readTlsFiles>> | undefined;
  try {
    tls = tlsPaths ? await readTlsFiles(tlsPaths) : undefined;
  } catch (error) {
    throw new ConnectError((error as Error).message, Code.InvalidArgument, undefined, undefined, error);
  }

  const bind = (h: string, p: number, handler: NodeHandler, withTls: boolean) =>
    listenOnePort({ host: h, port: p, handler, ...(withTls && tls ? { tls } : {}), ...(maxConcurrentStreams !== undefined ? { maxConcurrentStreams } : {}) }).catch((error: unknown) => {
      throw new ConnectError(`cannot listen on ${hostPort(h, p)}: ${describeListenError(error)}`, Code.Unavailable, undefined, undefined, error);
    });
  // Until the app is built, the port answers 503.
  let serve: NodeHandler = (_req, res) => {
    res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
    res.end(`${JSON.stringify({ code: "unavailable", message: "the server is starting", detail: "the server is starting" })}\n`);
  };
  const listener: OnePortServer = await bind(host, port, (req, res) => serve(req, res), true);
  let metricsListener: OnePortServer | undefined;
  let metrics: Metrics | undefined;
  let store: Store | undefined;
  let backplane: Backplane | undefined;
  let app: ReturnType<typeof createApp> | undefined;
  // In reverse order of starting: the app (health turns NOT_SERVING, launches
  // in flight get the grace when `graceful`, streams end), the listeners
  // (requests in flight finish), the backplane (leases given up), the store.
  const stop = async (graceful: boolean) => {
    if (graceful) await app?.shutdown({ graceMs: closeGraceMs });
    else app?.close();
    await metricsListener?.close({ graceMs: 0 });
    await listener.close({ graceMs: closeGraceMs });
    await backplane?.close();
    await store?.close();
    metrics?.close();
  };
  try {
    metrics = withMetrics ? createMetrics() : undefined;
    if (metricsListen) {
      const page = metrics ? createMetricsHandler({ metrics }) : () => false;
      metricsListener = await bind(
        metricsListen.host,
        metricsListen.port,
        (req, res) => {
          if (page(req, res)) return;
          res.writeHead(404, { "content-type": "text/plain" });
          res.end("only /metrics is served here\n");
        },
        false,
      );
    }
    try {
      store = await openStore(database);
    } catch (error) {
      throw new ConnectError(`cannot open the database: ${describeOpenError(error, database)}`, Code.Unavailable, undefined, undefined, error);
    }
    try {
      backplane = await openBackplane(database, {
        ...(leaseMs !== undefined ? { leaseMs } : {}),
        ...(appOptions.log
          ? { log: appOptions.log }
          : appOptions.logger
            ? { log: (message: string, error?: unknown) => appOptions.logger?.error(error === undefined ? {} : { err: error }, message) }
            : {}),
      });
    } catch (error) {
      throw new ConnectError(`cannot open the database: ${describeOpenError(error, database)}`, Code.Unavailable, undefined, undefined, error);
    }
    app = createApp({
      ...appOptions,
      store: metrics ? observeStore(store, metrics) : store,
      backplane,
      ...(metrics ? { metrics, metricsOnMainPort: metricsListen === undefined } : {}),
    });
    serve = app.handler;
  } catch (error) {
    await stop(false);
    throw error;
  }

  let closed: Promise<void> | undefined;
  return {
    url: listener.url,
    port: listener.port,
    store,
    ...(metricsListener ? { metricsUrl: metricsListener.url } : {}),
    close() {
      closed ??= stop(true);
      return closed;
    },
  };
}

function hostPort(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}
