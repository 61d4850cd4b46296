import { Code, ConnectError } from "@connectrpc/connect";
import { type AppOptions, createApp } from "./create-app.js";
import type { Backplane } from "./hub/backplane.js";
import { openBackplane } from "./hub/open-backplane.js";
import type { RateLimit } from "./limits/create-rate-limiter.js";
import type { RequestLimits } from "./limits/request-limits.js";
import { openStore } from "./store/open-store.js";
import type { Store } from "./store/store.js";
import { listenOnePort, type OnePortServer } from "./transport/listen-one-port.js";
import { readTlsFiles, type TlsFilePaths } from "./transport/read-tls-files.js";
import { normalizeOrigin } from "./web/create-cors-handler.js";

// What callers of the door need besides startServer: checking a --cors-origin
// flag before starting, and the shapes of the options.
export { normalizeOrigin };
export type { RateLimit, RequestLimits, TlsFilePaths };

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
export interface StartServerOptions extends Omit<AppOptions, "store" | "backplane"> {
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
  /**
   * Stops in reverse order of starting: the app (daemon streams end, health
   * turns NOT_SERVING), then the listener (GOAWAY, requests in flight get
   * `closeGraceMs`), then the backplane (leases given up), then the store. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * The one front door for running a server: reads the TLS files (when given),
 * opens and migrates the store, builds the app and listens on one port for
 * gRPC, gRPC-Web, Connect and REST. Rejects with a ConnectError whose message
 * says which step failed: `invalid_argument` for a bad CORS origin or an
 * unreadable TLS file (before the store is opened), `unavailable` for "cannot
 * open the database: …" and "cannot listen on HOST:PORT: …". Whatever was
 * opened before a failure is closed again.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const {
    host = serverDefaults.host,
    port = serverDefaults.port,
    database = serverDefaults.database,
    tls: tlsPaths,
    closeGraceMs = serverDefaults.closeGraceMs,
    leaseMs,
    maxConcurrentStreams,
    ...appOptions
  } = options;
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
  let store: Store;
  try {
    store = await openStore(database);
  } catch (error) {
    throw new ConnectError(`cannot open the database: ${(error as Error).message}`, Code.Unavailable, undefined, undefined, error);
  }

  let backplane: Backplane;
  try {
    backplane = await openBackplane(database, {
      ...(leaseMs !== undefined ? { leaseMs } : {}),
      ...(appOptions.log ? { log: appOptions.log } : {}),
    });
  } catch (error) {
    await store.close();
    throw new ConnectError(`cannot open the database: ${(error as Error).message}`, Code.Unavailable, undefined, undefined, error);
  }

  let app: ReturnType<typeof createApp> | undefined;
  let listener: OnePortServer;
  try {
    app = createApp({ ...appOptions, store, backplane });
    listener = await listenOnePort({
      host,
      port,
      handler: app.handler,
      ...(tls ? { tls } : {}),
      ...(maxConcurrentStreams !== undefined ? { maxConcurrentStreams } : {}),
    }).catch((error: unknown) => {
      throw new ConnectError(`cannot listen on ${host}:${port}: ${(error as Error).message}`, Code.Unavailable, undefined, undefined, error);
    });
  } catch (error) {
    app?.close();
    await backplane.close();
    await store.close();
    throw error;
  }

  let closed: Promise<void> | undefined;
  const startedApp = app;
  return {
    url: listener.url,
    port: listener.port,
    store,
    close() {
      closed ??= (async () => {
        await startedApp.shutdown({ graceMs: closeGraceMs });
        await listener.close({ graceMs: closeGraceMs });
        await backplane.close();
        await store.close();
      })();
      return closed;
    },
  };
}
