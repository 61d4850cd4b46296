import { connect } from "node:net";
import pg from "pg";
import { storeErrors, throwIfAborted } from "../store-errors.js";
import { isRetryablePostgresError, postgresError } from "./postgres-errors.js";

/** A statement and its values; `name` makes `pg` prepare it once per connection. */
export type Statement = pg.QueryConfig;

/** Runs statements on the connection of one transaction. */
export type TransactionQuery = <R extends pg.QueryResultRow>(statement: Statement) => Promise<R[]>;

export interface PostgresRunner {
  /** Runs one statement on a pooled connection; its rows. */
  rows<R extends pg.QueryResultRow>(noun: string, signal: AbortSignal | undefined, statement: Statement): Promise<R[]>;
  /**
   * Runs `fn` on one connection between BEGIN and COMMIT (ROLLBACK when it
   * throws, or when the signal aborts before one of its statements); the whole
   * of `fn` runs again after a serialization failure or deadlock.
   */
  transaction<T>(noun: string, signal: AbortSignal | undefined, fn: (query: TransactionQuery) => Promise<T>): Promise<T>;
  /** Refuses every later call; queries already running finish. */
  close(): void;
}

/** Attempts of a call that hits a serialization failure or deadlock, the first included. */
export const maxAttempts = 4;

/**
 * How the PostgreSQL store runs its statements on `pool`: every error mapped
 * by `postgresError` with the call's noun, serialization failures and
 * deadlocks retried (up to `maxAttempts` in all, after 5, 10, 20 ms with
 * jitter; a rolled-back statement or transaction is safe to run again).
 *
 * With a signal: already aborted means `canceled` before any work; aborted
 * while waiting for a connection or while a statement runs means `canceled`
 * at once, and a running statement is canceled on the server (the protocol's
 * CancelRequest, on its own short connection), after which its connection is
 * discarded rather than returned to the pool, so a late cancel cannot hit the
 * next user's statement. A write canceled while it runs may or may not have
 * been committed, as with any call canceled in flight.
 */
export function createPostgresRunner(pool: pg.Pool): PostgresRunner {
  let closed = false;

  async function attempt<T>(noun: string, signal: AbortSignal | undefined, work: (client: pg.PoolClient) => Promise<T>) {
    for (let tries = 1; ; tries++) {
      throwIfAborted(signal);
      if (closed) throw postgresError(new Error("store is closed"), noun);
      try {
        return await onClient(pool, signal, work);
      } catch (err) {
        if (tries >= maxAttempts || !isRetryablePostgresError(err)) throw postgresError(err, noun);
        await new Promise((resolve) => setTimeout(resolve, 2 ** tries * 2.5 * (0.5 + Math.random())));
      }
    }
  }

  return {
    rows(noun, signal, statement) {
      return attempt(noun, signal, async (client) => (await client.query(statement)).rows);
    },

    transaction(noun, signal, fn) {
      return attempt(noun, signal, async (client) => {
        await client.query("BEGIN");
        try {
          const result = await fn(async (statement) => {
            // A cancel sent between two statements finds nothing to cancel: stop here instead.
            throwIfAborted(signal);
            return (await client.query(statement)).rows;
          });
          await client.query("COMMIT");
          return result;
        } catch (err) {
          await client.query("ROLLBACK").catch((rollbackError: unknown) => {
            throw new DiscardClient(err, rollbackError);
          });
          throw err;
        }
      });
    },

    close() {
      closed = true;
    },
  };
}

/** Thrown when a transaction could not even roll back: its connection must not be reused. */
class DiscardClient extends Error {
  constructor(
    readonly original: unknown,
    override readonly cause: unknown,
  ) {
    super("rollback failed");
  }
}

/**
 * Runs `work` on a pooled connection and gives it back, or discards it when
 * it broke (anything but an error the server reported on a healthy
 * connection, or an `error` event while checked out) or a cancel was sent on it.
 */
async function onClient<T>(pool: pg.Pool, signal: AbortSignal | undefined, work: (client: pg.PoolClient) => Promise<T>) {
  const client = await acquire(pool, signal);
  let discard = false;
  let finished = false;
  // A checked-out client has no listener of the pool's: without one, a lost connection would crash the process.
  const onError = () => {
    discard = true;
  };
  client.on("error", onError);
  const running = work(client).then(
    (result) => result,
    (err: unknown) => {
      discard ||= err instanceof DiscardClient || !isServerError(err);
      throw err instanceof DiscardClient ? err.original : err;
    },
  );
  running
    .finally(() => {
      finished = true;
      client.removeListener("error", onError);
      client.release(discard);
    })
    .catch(() => undefined);
  if (signal === undefined) return running;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      if (finished) return;
      discard = true;
      reject(storeErrors.canceled());
      cancelOnServer(client);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    running.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** A connection from the pool; `canceled` when the signal fires first (the connection then goes straight back). */
function acquire(pool: pg.Pool, signal: AbortSignal | undefined): Promise<pg.PoolClient> {
  if (signal === undefined) return pool.connect();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(storeErrors.canceled());
    signal.addEventListener("abort", onAbort, { once: true });
    pool.connect().then(
      (client) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) client.release();
        else resolve(client);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** An error PostgreSQL sent on a connection that stays usable (not FATAL, not a socket error). */
function isServerError(err: unknown): boolean {
  return err instanceof pg.DatabaseError && err.severity !== "FATAL" && err.severity !== "PANIC";
}

/** What `pg` keeps of the server's BackendKeyData: not in its typings. */
interface BackendKey {
  processID?: number | null;
  secretKey?: number | null;
  host?: string;
  port?: number;
}

/** Sends the protocol's CancelRequest for whatever `client`'s backend is running; best effort. */
function cancelOnServer(client: pg.PoolClient): void {
  const { processID, secretKey, host, port } = client as unknown as BackendKey;
  if (typeof processID !== "number" || typeof secretKey !== "number" || !host || !port) return;
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(80877102, 4); // the CancelRequest code: 1234 << 16 | 5678
  packet.writeInt32BE(processID, 8);
  packet.writeInt32BE(secretKey, 12);
  const socket = host.startsWith("/") ? connect(`${host}/.s.PGSQL.${port}`) : connect(port, host);
  socket.setTimeout(5_000, () => socket.destroy());
  socket.on("error", () => socket.destroy());
  socket.once("connect", () => socket.end(packet));
}
