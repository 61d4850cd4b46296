import type { Store, TokenChangeFeed } from "../store/store.js";
import { hashToken, parseBearer } from "./api-token.js";
import { lookUpToken, unauthenticated } from "./look-up-token.js";
import type { Principal } from "./principal.js";

export interface TokenCacheOptions {
  /** Where tokens and machines are looked up, and whose `tokenChanges` says when a cached lookup is stale. */
  store: Store;
  /** How long a lookup is reused, from when it started. Default 2 000 ms; 0 caches nothing. */
  ttlMs?: number;
  /** Most lookups kept; a new one pushes out the oldest. Default 10 000. */
  maxEntries?: number;
  /** Where the store's feed reports failures in the background. Default: stderr. */
  log?: (message: string, error?: unknown) => void;
  /** Milliseconds of a monotonic clock. Default `performance.now`. */
  now?: () => number;
}

/**
 * Authentication with a short memory: the principal of a token looked up in
 * the store (`lookUpToken`: the token, its workspaces, its machine) is kept
 * by the token's SHA-256 for `ttlMs`, so the calls of a launch (the caller's,
 * the daemon's acknowledgement) do not query the store again. Failures are
 * never kept.
 *
 * A kept principal is used only while the store's `tokenChanges` epoch is the
 * one it was looked up under (a change empties the whole cache) and never
 * while the epoch is undefined (a feed that cannot tell, a store with no
 * feed): a token revoked by this process, by `wsctl admin` on the same
 * database or by another replica is refused on its next call (see
 * `TokenChangeFeed` for how each store makes that so).
 */
export interface TokenCache {
  /**
   * The principal of an `Authorization` header value, as `authenticate`
   * answers it; throws `unauthenticated` when there is none.
   */
  authenticate(authorization: string | null, signal?: AbortSignal): Promise<Principal>;
  /**
   * Starts the store's feed (idempotent; `createApp` calls it): resolves true
   * once lookups can be kept, false when the first try failed (the feed keeps
   * trying; nothing is kept meanwhile) or the store has no feed.
   */
  start(): Promise<boolean>;
  /** Lookups kept now (expired ones included until they are looked up again or pushed out). */
  readonly size: number;
}

interface Entry {
  principal: Principal;
  expiresAt: number;
}

/** A store's feed, when it has one (a partial stand-in may answer anything). */
function feedOf(store: Store): TokenChangeFeed | undefined {
  const feed = store.tokenChanges;
  return typeof feed?.epoch === "function" && typeof feed.start === "function" ? feed : undefined;
}

export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const { store } = options;
  const ttlMs = options.ttlMs ?? 2_000;
  const maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  const now = options.now ?? (() => performance.now());
  const log = options.log ?? ((message, error) => console.error(message, error ?? ""));
  const feed = ttlMs > 0 ? feedOf(store) : undefined;
  const entries = new Map<string, Entry>();
  /** The epoch every entry was looked up under. */
  let entriesEpoch: number | undefined;
  let started: Promise<boolean> | undefined;

  return {
    async authenticate(authorization, signal) {
      const token = parseBearer(authorization);
      if (token === undefined) throw unauthenticated();
      const hashHex = hashToken(token);
      const epoch = feed?.epoch();
      if (epoch !== entriesEpoch) {
        entries.clear();
        entriesEpoch = epoch;
      }
      if (epoch === undefined) return lookUpToken(store, hashHex, signal);
      const begun = now();
      const kept = entries.get(hashHex);
      if (kept !== undefined) {
        if (begun < kept.expiresAt) return kept.principal;
        entries.delete(hashHex);
      }
      const principal = await lookUpToken(store, hashHex, signal);
      // Kept only when no call saw the epoch move while it was looked up (the next call that sees it empties the map).
      if (entriesEpoch === epoch) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(hashHex, { principal, expiresAt: begun + ttlMs });
      }
      return principal;
    },
    start() {
      started ??=
        feed === undefined
          ? Promise.resolve(false)
          : feed.start({ ttlMs, log }).then(
              () => true,
              () => false,
            );
      return started;
    },
    get size() {
      return entries.size;
    },
  };
}
