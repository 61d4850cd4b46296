import type { Http2ServerRequest } from "node:http2";
import { createContextKey } from "@connectrpc/connect";
import type { NodeRequest } from "../rpc/node-handler.js";

/** Resolves true when the peer of a call's connection proved it is still there. */
export type ConnectionProbe = () => Promise<boolean>;

/** Context key of the probe of a call's connection, set for daemon calls by the auth gate. */
export const kConnectionProbe = createContextKey<ConnectionProbe | undefined>(undefined, { description: "connection probe" });

/**
 * A probe of the connection `req` arrived on: over HTTP/2, a PING the peer must
 * answer within `timeoutMs` (a half-dead connection, whose peer vanished
 * without a FIN, does not); over HTTP/1.1, whether the socket is still open.
 */
export function connectionProbe(req: NodeRequest, timeoutMs: number): ConnectionProbe {
  const session = (req as Http2ServerRequest).stream?.session;
  if (session === undefined) return async () => !req.socket.destroyed;
  return () =>
    new Promise<boolean>((resolve) => {
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
