import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";

/** Connections a pool opens at most unless told otherwise (`poolSize`, `?pool_size=`). */
export const defaultPoolSize = 10;
/** How long getting a connection may take (connecting, or waiting for a free one). */
export const defaultConnectTimeoutMs = 10_000;
/** Idle connections above none are closed after this long. */
export const defaultIdleTimeoutMs = 30_000;

export interface PostgresUrlSettings {
  /** What `pg.Client` / `pg.Pool` take: the URL without our own parameters, search_path set for `schema`. */
  clientConfig: pg.ClientConfig;
  /** `?pool_size=`, if given. */
  poolSize: number | undefined;
  /** `?schema=`, if given: every connection's search_path, created by `migrate()` when missing. */
  schema: string | undefined;
}

/** Schema names we accept: unquoted PostgreSQL identifiers in lower case. */
const schemaName = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Reads a `postgres://` or `postgresql://` URL. Everything libpq-style that
 * `pg` understands passes through (user, password, host, port, database,
 * `sslmode`, `application_name`, `options`, …); two parameters are ours and
 * are taken out:
 *
 * - `schema=NAME` — the schema the store keeps its tables in (lower-case
 *   letters, digits and `_`), set as each connection's `search_path`;
 *   `migrate()` creates it when missing. Without it the server's search_path
 *   applies (usually `public`). `options=-c search_path=NAME` works too.
 * - `pool_size=N` — connections the pool opens at most (1–1000, default 10).
 *
 * Errors never repeat the URL: it may carry a password.
 */
export function parsePostgresUrl(url: string): PostgresUrlSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid("is not a valid URL");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") throw invalid("must start with postgres://");
  const params = parsed.searchParams;

  const schema = params.get("schema") ?? undefined;
  params.delete("schema");
  if (schema !== undefined && !schemaName.test(schema)) {
    throw invalid("has a bad schema: use 1-63 lower-case letters, digits and _, starting with a letter or _");
  }
  if (schema !== undefined) {
    const options = [params.get("options"), `-c search_path=${schema}`].filter(Boolean).join(" ");
    params.set("options", options);
  }

  const size = params.get("pool_size");
  params.delete("pool_size");
  let poolSize: number | undefined;
  if (size !== null) {
    poolSize = Number(size);
    if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) throw invalid("has a bad pool_size: use 1-1000");
  }

  return { clientConfig: { connectionString: parsed.toString() }, poolSize, schema };
}

export interface PostgresPoolOptions {
  url: string;
  /** Connections at most; default `?pool_size=` of the URL, else 10. */
  poolSize?: number;
  /** Time to get a connection before the call fails `unavailable`; default 10 s. */
  connectTimeoutMs?: number;
  /** `application_name` each connection reports (pg_stat_activity) unless the URL sets one; default "wsctl". */
  applicationName?: string;
  /**
   * Called with errors of idle connections (the server restarted, a network
   * cut); the pool drops such a connection and opens a new one when needed.
   * Default: ignore them (without a listener they would crash the process).
   */
  onIdleError?: (err: Error) => void;
}

/**
 * A `pg.Pool` for a `postgres://` URL (see `parsePostgresUrl` for its
 * parameters), with `poolSize` connections at most (default 10), a 10 s
 * connect timeout, TCP keepalive, idle connections closed after 30 s, and
 * idle-connection errors handled. One pool can serve the store and other
 * parts of the server (pass it as `createPostgresStore({ pool })`); a
 * LISTEN connection should be its own `pg.Client(parsePostgresUrl(url).clientConfig)`
 * so it does not hold a pooled connection forever.
 */
export function createPostgresPool(options: PostgresPoolOptions): { pool: pg.Pool; schema: string | undefined } {
  const settings = parsePostgresUrl(options.url);
  const pool = new pg.Pool({
    ...settings.clientConfig,
    fallback_application_name: options.applicationName ?? "wsctl",
    max: options.poolSize ?? settings.poolSize ?? defaultPoolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? defaultConnectTimeoutMs,
    idleTimeoutMillis: defaultIdleTimeoutMs,
    keepAlive: true,
  });
  pool.on("error", options.onIdleError ?? (() => {}));
  return { pool, schema: settings.schema };
}

function invalid(what: string): ConnectError {
  return new ConnectError(`the PostgreSQL URL ${what}`, Code.InvalidArgument);
}
