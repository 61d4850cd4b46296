import { Code, ConnectError } from "@connectrpc/connect";
import type { Store } from "../store/store.js";

export interface RevocationWatchOptions {
  store: Store;
  /** How often the tokens of open streams are checked. Default 1 000 ms. */
  intervalMs?: number;
  /** Told about a check that failed (the next one tries again). Default: stderr. */
  log?: (message: string, error?: unknown) => void;
  /**
   * The store's token change epoch (`Store.tokenChanges.epoch`): while it is
   * defined and has not moved since the last check, and no stream took a
   * hold since, a check asks the store nothing (idle streams cost no query
   * a second). Undefined means "cannot tell": the store is asked. Default:
   * every check asks.
   */
  epoch?: () => number | undefined;
}

/** A stream's hold on its token: aborted with `unauthenticated` once the token is revoked. */
export interface RevocationHold {
  readonly signal: AbortSignal;
  release(): void;
}

/**
 * Ends the open streams of a revoked token. Every long-lived stream (a
 * daemon's Subscribe, a Watch, a streaming launch) holds its token while it
 * is open; every `intervalMs` the store is asked which of the held tokens are
 * revoked — by `wsctl admin revoke-token`, by another replica, by anyone —
 * and their streams end with `unauthenticated`. Unary calls need none of
 * this: each one is authenticated through the token cache, which a
 * revocation empties at once (`createTokenCache`).
 */
export interface RevocationWatch {
  hold(tokenId: string): RevocationHold;
  /** Checks now (the interval does it on its own). */
  check(): Promise<void>;
  close(): void;
}

export function createRevocationWatch(options: RevocationWatchOptions): RevocationWatch {
  const { store } = options;
  const log = options.log ?? ((message, error) => console.error(message, error ?? ""));
  const held = new Map<string, Set<AbortController>>();
  let busy = false;
  /** The epoch the last completed check was asked under, and whether a hold came since it was read. */
  let checkedEpoch: number | undefined;
  let heldSince = true;

  async function check(): Promise<void> {
    if (held.size === 0) return;
    // Read before asking: a change during the query moves the epoch past it, so the next check asks again.
    const epoch = options.epoch?.();
    if (epoch !== undefined && epoch === checkedEpoch && !heldSince) return;
    heldSince = false;
    checkedEpoch = undefined;
    for (const tokenId of await store.listRevokedTokens([...held.keys()])) {
      const revoked = new ConnectError("the token was revoked", Code.Unauthenticated);
      for (const controller of held.get(tokenId) ?? []) controller.abort(revoked);
      held.delete(tokenId);
    }
    checkedEpoch = epoch;
  }

  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    check()
      .catch((error: unknown) => log("checking tokens of open streams for revocation failed", error))
      .finally(() => {
        busy = false;
      });
  }, options.intervalMs ?? 1_000);
  timer.unref();

  return {
    hold(tokenId) {
      heldSince = true;
      const controller = new AbortController();
      const set = held.get(tokenId) ?? new Set<AbortController>();
      held.set(tokenId, set);
      set.add(controller);
      return {
        signal: controller.signal,
        release() {
          const current = held.get(tokenId);
          current?.delete(controller);
          if (current?.size === 0) held.delete(tokenId);
        },
      };
    },
    check,
    close() {
      clearInterval(timer);
    },
  };
}
