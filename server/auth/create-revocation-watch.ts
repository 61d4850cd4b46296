import { Code, ConnectError } from "@connectrpc/connect";
import type { Store } from "../store/store.js";

export interface RevocationWatchOptions {
  store: Store;
  /** How often the tokens of open streams are checked. Default 1 000 ms. */
  intervalMs?: number;
  /** Told about a check that failed (the next one tries again). Default: stderr. */
  log?: (message: string, error?: unknown) => void;
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

  async function check(): Promise<void> {
    if (held.size === 0) return;
    for (const tokenId of await store.listRevokedTokens([...held.keys()])) {
      const revoked = new ConnectError("the token was revoked", Code.Unauthenticated);
      for (const controller of held.get(tokenId) ?? []) controller.abort(revoked);
      held.delete(tokenId);
    }
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
