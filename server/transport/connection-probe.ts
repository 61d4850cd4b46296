import type { Http2ServerRequest, Http2Session } from "node:http2";
import { createContextKey } from "@connectrpc/connect";
import type { NodeRequest } from "../rpc/node-handler.js";

/** Resolves true when the peer of a call's connection proved it is still there. */
export type ConnectionProbe = () => Promise<boolean>;

/** Context key of the probe of a call's connection, set for daemon calls by the auth gate. */
export const kConnectionProbe = createContextKey<ConnectionProbe | undefined>(undefined, { description: "connection probe" });

/** The PING in flight on each HTTP/2 connection: every probe of its streams shares it. */
const pings = new WeakMap<Http2Session, Promise<boolean>>();

/**
 * A probe of the connection `req` arrived on: over HTTP/2, a PING the peer must
 * answer within `timeoutMs` (a half-dead connection, whose peer vanished
 * without a FIN, does not); over HTTP/1.1, whether the socket is still open.
 * The probes of all streams of one connection share one PING at a time: Node
 * cancels PINGs past 10 outstanding on a session, which would read as a dead
 * peer for every stream past the tenth.
 */
export function connectionProbe(req: NodeRequest, timeoutMs: number): ConnectionProbe {
  const session = (req as Http2ServerRequest).stream?.session;
  if (session === undefined) return async () => !req.socket.destroyed;
  return () => {
    const running = pings.get(session);
    if (running !== undefined) return running;
    const ping = pingOnce(session, timeoutMs).finally(() => pings.delete(session));
    pings.set(session, ping);
    return ping;
  };
}

function pingOnce(session: Http2Session, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (session.destroyed || session.closed) {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
    try {
      session.ping((error) => {
        clearTimeout(timer);
        resolve(error === null);
      });
    } catch {
      clearTimeout(timer);
      resolve(false);
    }
  });
}
