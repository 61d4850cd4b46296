import type { Interceptor, StreamResponse } from "@connectrpc/connect";
import { kPrincipal } from "./principal.js";
import type { RevocationHold, RevocationWatch } from "./create-revocation-watch.js";

/**
 * Ends a server stream with `unauthenticated` as soon as its caller's token
 * is revoked (see `createRevocationWatch`): it goes after the auth
 * interceptor, which put the principal in the call's context values.
 */
export function createRevocationInterceptor(watch: RevocationWatch): Interceptor {
  return (next) => async (req) => {
    const res = await next(req);
    const principal = req.contextValues.get(kPrincipal);
    if (!res.stream || principal === undefined) return res;
    const hold = watch.hold(principal.tokenId);
    return { ...res, message: untilRevoked(res.message, hold) } as StreamResponse;
  };
}

async function* untilRevoked<T>(messages: AsyncIterable<T>, hold: RevocationHold): AsyncGenerator<T> {
  const it = messages[Symbol.asyncIterator]();
  const revoked = new Promise<never>((_, reject) => {
    const abort = () => reject(hold.signal.reason);
    if (hold.signal.aborted) abort();
    else hold.signal.addEventListener("abort", abort, { once: true });
  });
  revoked.catch(() => {});
  try {
    for (;;) {
      const next = await Promise.race([it.next(), revoked]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    hold.release();
    void it.return?.(undefined);
  }
}
