import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { TokenChangeFeed, TokenFeedStart } from "../token-change-feed.js";
import { createNotificationListener, type NotificationListener } from "./create-notification-listener.js";

export interface PostgresTokenFeedOptions {
  /**
   * How long this process's row in `token_cache_listeners` lasts without
   * renewal (it renews every third of it); cached lookups are trusted only
   * within it of the last renewal sent, so a replica that cannot renew stops
   * trusting them before revokes stop waiting for it. Default 5 000 ms.
   */
  leaseMs?: number;
  /** First pause before reconnecting a lost listen connection or retrying a failed start; doubles up to 5 s. Default 100 ms. */
  retryMs?: number;
}

/** The PostgreSQL store's token feed, with what its own revokes and `close()` call. */
export interface PostgresTokenFeed extends TokenChangeFeed {
  /** This process committed a token change: the epoch moves at once (the other replicas hear it by NOTIFY). */
  changed(): void;
  /** Stops listening and removes this process's row, so revokes stop waiting for it. */
  close(): Promise<void>;
}

/**
 * The `TokenChangeFeed` of the PostgreSQL store (see
 * `postgres-token-change-schema.ts`). Started, it LISTENs on the schema's
 * token channel on a connection of its own, then registers a row in
 * `token_cache_listeners` with the last committed epoch; every notification
 * moves the local epoch and is then confirmed in the row (`heard`), one
 * write at a time, so a revoke that sees the confirmation knows the cache
 * was emptied first. `epoch()` is undefined until registered, from the
 * moment the listen connection is lost until it is back and registered
 * again (notifications may have been missed: the epoch moves), and once the
 * lease could not be renewed in time (trust resumes only through a new
 * registration, which empties the cache).
 */
export function createPostgresTokenFeed(pool: pg.Pool, options: PostgresTokenFeedOptions = {}): PostgresTokenFeed {
  const leaseMs = options.leaseMs ?? 5_000;
  const retryMs = options.retryMs ?? 100;
  const listenerId = `tcl_${randomBytes(8).toString("hex")}`;
  let log: TokenFeedStart["log"] = (message, error) => console.error(message, error ?? "");
  let ttlMs = 0;
  let epoch = 0;
  /** Registered and listening. */
  let live = false;
  let connected = false;
  /** `performance.now()` until which the lease is surely held: the last renewal sent, plus the lease. */
  let trustedUntil = 0;
  /** The highest epoch heard (acted on), and the highest confirmed in the row. */
  let heard = 0;
  let confirmed = 0;
  let closed = false;
  let listener: NotificationListener | undefined;
  let renewTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let starting: Promise<void> | undefined;
  // The row's writes, one at a time and in order: a confirmation never overtakes a registration.
  let writes: Promise<void> = Promise.resolve();
  const serially = (what: string, write: () => Promise<void>): Promise<void> => {
    const next = writes.then(() => (closed ? undefined : write()));
    writes = next.catch((error: unknown) => {
      if (!closed) log(`token cache: ${what} failed`, error);
    });
    return next;
  };

  /** Empties the cache, then (re)writes the row with the last committed epoch as heard; trusted from its answer on. */
  async function register(): Promise<void> {
    live = false;
    epoch++;
    const sentAt = performance.now();
    const { rows } = await pool.query<{ heard: string }>(
      "INSERT INTO token_cache_listeners (listener_id, heard, ttl_ms, alive_until) " +
        "VALUES ($1, COALESCE((SELECT epoch FROM token_change_state), 0), $2, clock_timestamp() + make_interval(secs => $3 / 1000.0)) " +
        "ON CONFLICT (listener_id) DO UPDATE SET heard = EXCLUDED.heard, ttl_ms = EXCLUDED.ttl_ms, alive_until = EXCLUDED.alive_until " +
        "RETURNING heard",
      [listenerId, ttlMs, leaseMs],
    );
    confirmed = Number(rows[0]!.heard);
    heard = Math.max(heard, confirmed);
    trustedUntil = sentAt + leaseMs;
    live = connected;
    // Rows of processes that died without closing.
    await pool.query("DELETE FROM token_cache_listeners WHERE alive_until < clock_timestamp() - interval '1 minute'");
    if (heard > confirmed) await confirm();
  }

  async function confirm(): Promise<void> {
    const value = heard;
    if (value <= confirmed) return;
    await pool.query("UPDATE token_cache_listeners SET heard = $2 WHERE listener_id = $1 AND heard < $2", [listenerId, value]);
    confirmed = Math.max(confirmed, value);
  }

  /** Extends the lease while it is held; a lease lost (expired, row gone) is a new registration. */
  async function renew(): Promise<void> {
    if (!connected) return;
    const sentAt = performance.now();
    if (sentAt >= trustedUntil) return register();
    const { rowCount } = await pool.query(
      "UPDATE token_cache_listeners SET alive_until = clock_timestamp() + make_interval(secs => $2 / 1000.0), ttl_ms = $3 " +
        "WHERE listener_id = $1 AND alive_until > clock_timestamp()",
      [listenerId, leaseMs, ttlMs],
    );
    // Answered after the lease lapsed here: revokes may have stopped waiting for this process meanwhile.
    if (rowCount === 0 || performance.now() >= trustedUntil) return register();
    trustedUntil = sentAt + leaseMs;
  }

  async function open(): Promise<void> {
    const { rows } = await pool.query<{ channel: string }>("SELECT token_change_channel() AS channel");
    if (closed) return;
    const l = createNotificationListener({
      // pg keeps the password (and TLS key) off the enumerable options.
      connection: { ...pool.options, password: pool.options.password, ssl: pool.options.ssl, fallback_application_name: "wsctl token cache" },
      channels: [rows[0]!.channel],
      label: "token cache",
      log: (message, error) => log(message, error),
      retryMs,
      onNotification(_channel, payload) {
        epoch++;
        const drawn = Number(payload);
        if (!Number.isSafeInteger(drawn) || drawn <= heard) return;
        heard = drawn;
        void serially("confirming a token change", confirm);
      },
      onDisconnect() {
        connected = false;
        live = false;
        // Revokes need not wait for a process that trusts no cached lookup.
        void serially("leaving the token listeners", async () => {
          if (!connected) await pool.query("DELETE FROM token_cache_listeners WHERE listener_id = $1", [listenerId]);
        });
      },
      onReconnect() {
        connected = true;
        void serially("registering the token listener again", register);
      },
    });
    try {
      await l.start();
    } catch (error) {
      await l.close();
      throw error;
    }
    listener = l;
    connected = true;
    // Also what retries a registration that failed: renewing a lease not held registers.
    renewTimer = setInterval(() => void serially("renewing the token listener's lease", renew), Math.max(10, Math.floor(leaseMs / 3)));
    renewTimer.unref();
    await serially("registering the token listener", register);
  }

  function attempt(delay: number): Promise<void> {
    return open().catch((error: unknown) => {
      if (!closed && listener === undefined) {
        log("token cache: listening for token changes failed; lookups are not cached until it works", error);
        retryTimer = setTimeout(() => void attempt(Math.min(delay * 2, 5_000)).catch(() => {}), delay);
        retryTimer.unref();
      }
      throw error;
    });
  }

  return {
    start(startOptions) {
      log = startOptions.log;
      ttlMs = Math.max(ttlMs, Math.ceil(startOptions.ttlMs));
      starting ??= attempt(retryMs);
      return starting;
    },
    epoch() {
      return live && performance.now() < trustedUntil ? epoch : undefined;
    },
    changed() {
      epoch++;
    },
    async close() {
      if (closed) return;
      closed = true;
      live = false;
      clearInterval(renewTimer);
      clearTimeout(retryTimer);
      await listener?.close();
      await writes;
      if (listener !== undefined) {
        await pool.query("DELETE FROM token_cache_listeners WHERE listener_id = $1", [listenerId]).catch(() => {});
      }
    },
  };
}
