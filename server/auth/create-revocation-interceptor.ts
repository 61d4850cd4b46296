import type { Interceptor, StreamResponse } from "@connectrpc/connect";
import { tapStream } from "../streams/tap-stream.js";
import type { RevocationWatch } from "./create-revocation-watch.js";
import { kPrincipal } from "./principal.js";

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
    return { ...res, message: tapStream(res.message, { cut: hold.signal, end: () => hold.release() }) } as StreamResponse;
  };
}
