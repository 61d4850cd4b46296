import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { Server, Socket } from "node:net";

/** The servers behind one port: `front` accepts, the other two never listen. */
export interface TrackedServers {
  /** Accepts every TCP connection (a `net.Server`, or a `tls.Server` for TLS). */
  front: Server;
  /** Serves HTTP/1.x sockets emitted into it with `emit("connection")`. */
  http1: http.Server;
  /** Serves HTTP/2 sockets emitted into it with `emit("connection")`. */
  http2: http2.Http2Server;
  /** An HTTP/2 session with no open stream for this long is closed with GOAWAY; 0 = never. */
  idleTimeoutMs: number;
}

/** Knows every connection of one port and closes them gracefully. */
export interface ConnectionTracker {
  /**
   * Marks a socket that has no request yet: a raw socket in protocol detection or
   * its TLS handshake, or an HTTP/1.x socket before its first request. close()
   * destroys such sockets at once. The mark goes with the socket's first request.
   */
  startPending(socket: Socket): void;
  /** The socket moved on (to an HTTP/2 session, or to its TLS socket). */
  endPending(socket: Socket): void;
  /** Records an HTTP/1.x response in flight, so close() can wait for it. */
  trackResponse(res: http.ServerResponse): void;
  /**
   * Stops accepting, sends GOAWAY to HTTP/2 sessions, closes idle HTTP/1.x
   * keep-alive sockets and sockets that never got as far as a request, lets
   * requests in flight finish for up to `graceMs`, then destroys what is left.
   * Resolves once every connection is closed. Calling it again returns the same promise.
   */
  close(graceMs: number): Promise<void>;
}

/**
 * Tracks the connections of one port: raw sockets, sockets without a request yet,
 * HTTP/2 sessions (with their idle timeout, armed only while no stream is open)
 * and HTTP/1.x responses. Per request it costs a few Set operations and one
 * listener, without closures.
 */
export function trackConnections(servers: TrackedServers): ConnectionTracker {
  const { front, http1, http2: h2, idleTimeoutMs } = servers;
  const sockets = new Set<Socket>();
  const pending = new Set<Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const responses = new Set<http.ServerResponse>();
  let closed: Promise<void> | undefined;

  front.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  h2.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    let open = 0;
    let idleTimer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (idleTimeoutMs <= 0 || closed !== undefined) return;
      idleTimer = setTimeout(() => session.close(), idleTimeoutMs);
      idleTimer.unref();
    };
    const onStreamClose = (): void => {
      open--;
      if (open === 0) arm();
    };
    session.on("stream", (stream: http2.ServerHttp2Stream) => {
      open++;
      clearTimeout(idleTimer);
      stream.on("close", onStreamClose);
    });
    session.once("close", () => {
      clearTimeout(idleTimer);
      sessions.delete(session);
    });
    if (closed !== undefined) session.close();
    else arm();
  });

  function onResponseClose(this: http.ServerResponse): void {
    responses.delete(this);
    if (closed !== undefined) endAfterResponse(this.req.socket);
  }

  /** Ends a keep-alive socket whose last response is done, unless another (pipelined) one is queued. */
  function endAfterResponse(socket: Socket): void {
    if (socket.destroyed || !socket.writable) return;
    for (const res of responses) {
      if (res.req.socket === socket) return;
    }
    // Half-close after the queued bytes are flushed, then let go of the socket.
    socket.end(() => socket.destroy());
  }

  function close(graceMs: number): Promise<void> {
    if (closed !== undefined) return closed;
    let force: NodeJS.Timeout | undefined;
    closed = new Promise<void>((resolve) => {
      // The callback fires once every accepted socket has closed.
      front.close(() => resolve());
    }).then(() => clearTimeout(force));
    for (const socket of pending) socket.destroy();
    for (const session of sessions) session.close();
    for (const res of responses) {
      if (!res.headersSent) res.setHeader("connection", "close");
    }
    // Destroys idle keep-alive sockets and stops the HTTP/1 timeout checker.
    http1.close();
    force = setTimeout(() => {
      for (const session of sessions) session.destroy();
      http1.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    }, graceMs);
    return closed;
  }

  return {
    startPending: (socket) => {
      if (closed !== undefined) {
        socket.destroy();
        return;
      }
      pending.add(socket);
      socket.once("close", () => pending.delete(socket));
    },
    endPending: (socket) => {
      pending.delete(socket);
    },
    trackResponse: (res) => {
      pending.delete(res.req.socket);
      if (closed !== undefined) res.setHeader("connection", "close");
      responses.add(res);
      res.on("close", onResponseClose);
    },
    close,
  };
}
