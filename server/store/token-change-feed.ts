/** What a token cache tells the store when it starts following changes. */
export interface TokenFeedStart {
  /** The longest a cache keeps a lookup (its TTL): on PostgreSQL, the longest a revoke waits for a replica that does not confirm. */
  ttlMs: number;
  /** Where failures in the background are reported (a lost listen connection, a renewal that failed). */
  log: (message: string, error?: unknown) => void;
}

/**
 * How a store says that a cached token lookup may be stale (see
 * `createTokenCache`): the answer of `findTokenByHash` and `getMachine` for a
 * token may have changed whenever the epoch changed — a token revoked (its
 * machine's tokens on re-registration included), its scopes, workspaces or
 * machine changed — by this process, another process on the same database
 * (`wsctl admin revoke-token`), or another replica.
 *
 * - SQLite: this process's token writes change it at once; another
 *   connection's commit to the file (`PRAGMA data_version`, read on each
 *   call: no table is read) changes it too, whatever it wrote.
 * - PostgreSQL: a trigger on the token and machine tables draws an epoch and
 *   `NOTIFY`s it in the writing transaction, whoever writes; every process
 *   with a started feed `LISTEN`s and confirms what it heard in
 *   `token_cache_listeners`, and a revoke through the store resolves only once
 *   every live listener confirmed it (or a TTL later), so a revoked token is
 *   refused by its very next call on every replica. While the listen
 *   connection is down, or its lease could not be renewed, `epoch()` is
 *   undefined.
 */
export interface TokenChangeFeed {
  /**
   * Starts following changes; idempotent (a second call with a longer TTL
   * records that one). Resolves once `epoch()` answers; rejects when the first
   * try fails (it keeps trying in the background).
   */
  start(options: TokenFeedStart): Promise<void>;
  /**
   * The current epoch, or undefined while the store cannot tell of changes
   * (not started, listen connection down, database file replaced): then no
   * cached lookup may be trusted. Synchronous and cheap, read on every
   * authenticated call; a value never comes back once it changed.
   */
  epoch(): number | undefined;
}
