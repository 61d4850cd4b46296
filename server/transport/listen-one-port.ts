import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import { defaultMaxConcurrentStreams } from "../limits/request-limits.js";
import type { NodeHandler, NodeRequest, NodeResponse } from "../rpc/node-handler.js";
import { sniffHttpVersion } from "./sniff-http-version.js";
import { trackConnections } from "./track-connections.js";

/** PEM contents (not paths; see `readTlsFiles`) of the server certificate chain and its key. */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface ListenOptions {
  /** Address to bind. Default "127.0.0.1"; "0.0.0.0" or "::" for every interface. */
  host?: string;
  /** TCP port. Default 8080; 0 picks a free port (read it from `OnePortServer.port`). */
  port?: number;
  /** Serves every request, HTTP/1.1 and HTTP/2 alike (`connectNodeAdapter` returns one). */
  handler: NodeHandler;
  /**
   * With credentials the port speaks TLS only, and ALPN chooses `h2` or
   * `http/1.1` (a client without ALPN gets HTTP/1.1). Without them (the default)
   * it speaks cleartext HTTP/1.1 and HTTP/2 with prior knowledge (h2c), told apart
   * by the client's first bytes.
   */
  tls?: TlsCredentials;
  /** HTTP/2 SETTINGS sent to every client. Default: Node's defaults, but for `maxConcurrentStreams`. */
  http2?: http2.Settings;
  /**
   * Streams one HTTP/2 connection may have open at once
   * (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused with REFUSED_STREAM.
   * Wins over `http2.maxConcurrentStreams`. Default 100.
   */
  maxConcurrentStreams?: number;
  /**
   * A connection with no request in flight is closed after this long: the
   * HTTP/1.1 keep-alive timeout, and for HTTP/2 a GOAWAY once no stream has been
   * open for this long. Never applies while a request or stream is open, so
   * long-lived streams are not cut. Default 60_000; 0 = never.
   */
  idleTimeoutMs?: number;
  /**
   * Time a new connection has to finish its TLS handshake and to send enough
   * bytes to tell its HTTP version, and an HTTP/1.1 request to send its headers
   * (answered 408 when late). Default 60_000; 0 = no limit (a TLS handshake then
   * still times out after Node's 120 s).
   */
  headersTimeoutMs?: number;
  /**
   * Time an HTTP/1.1 request has to send its whole body (the response may then
   * stream for as long as it likes). Default 300_000; 0 = no limit. Must be
   * at least `headersTimeoutMs` unless one of them is 0.
   */
  requestTimeoutMs?: number;
  /**
   * Called with errors nobody else is told about: a failed accept, and an
   * error the handler threw (that request is answered 500, or cut off if its
   * response had started; a thrown non-Error arrives wrapped, as `cause`).
   * Default: logs it to stderr.
   */
  onError?: (error: Error) => void;
}

export interface OnePortServer {
  /** Base URL for clients on this machine, e.g. "http://127.0.0.1:43125" (https with TLS). */
  url: string;
  /** The bound port (the chosen one when `port` was 0). */
  port: number;
  /**
   * Stops accepting, sends GOAWAY to HTTP/2 clients, closes idle keep-alive
   * connections, waits for requests in flight up to `graceMs` (default 5000),
   * then destroys what is left. Resolves once every connection is closed.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

const defaults = {
  host: "127.0.0.1",
  port: 8080,
  idleTimeoutMs: 60_000,
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 300_000,
  graceMs: 5_000,
  /** TCP keep-alive probes find peers that vanished while a stream was quiet. */
  tcpKeepAliveDelayMs: 30_000,
} as const;

/**
 * Serves `handler` over HTTP/1.1 and HTTP/2 on one port: cleartext h2c (prior
 * knowledge) and HTTP/1.1 side by side, or TLS with ALPN when `tls` is given.
 * Rejects when the port cannot be bound.
 */
export async function listenOnePort(options: ListenOptions): Promise<OnePortServer> {
  const host = options.host ?? defaults.host;
  const port = options.port ?? defaults.port;
  const idleTimeoutMs = nonNegative("idleTimeoutMs", options.idleTimeoutMs, defaults.idleTimeoutMs);
  const headersTimeoutMs = nonNegative("headersTimeoutMs", options.headersTimeoutMs, defaults.headersTimeoutMs);
  const requestTimeoutMs = nonNegative("requestTimeoutMs", options.requestTimeoutMs, defaults.requestTimeoutMs);
  if (headersTimeoutMs > 0 && requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new RangeError("headersTimeoutMs must not exceed requestTimeoutMs");
  }
  const onError = options.onError ?? ((error: Error) => console.error("listenOnePort:", error));
  const { handler } = options;

  const http1 = http.createServer({
    keepAliveTimeout: idleTimeoutMs,
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    // How often Node checks the two timeouts above; fine enough for short test values.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeoutMs / 4) || 30_000)),
  });
  // No socket inactivity timeout: a streaming response may be quiet for minutes.
  http1.timeout = 0;
  // This server never listens itself, so start Node's connection tracking by
  // hand: it enforces headersTimeout/requestTimeout and finds idle connections
  // for close(). Malformed requests get Node's default `clientError` handling:
  // a 400 (408, 431) answer when nothing was sent yet, then the socket is destroyed.
  http1.emit("listening");

  const maxConcurrentStreams = options.maxConcurrentStreams ?? options.http2?.maxConcurrentStreams ?? defaultMaxConcurrentStreams;
  if (!Number.isInteger(maxConcurrentStreams) || maxConcurrentStreams < 1) {
    throw new RangeError("maxConcurrentStreams must be a positive integer");
  }
  const h2 = http2.createServer({ settings: { ...options.http2, maxConcurrentStreams } });
  h2.setTimeout(0);

  const front = options.tls
    ? tls.createServer({
        ...secureContextOptions(options.tls),
        ALPNProtocols: ["h2", "http/1.1"],
        handshakeTimeout: headersTimeoutMs,
        noDelay: true,
        keepAlive: true,
        keepAliveInitialDelay: defaults.tcpKeepAliveDelayMs,
      })
    : net.createServer({
        noDelay: true,
        keepAlive: true,
        keepAliveInitialDelay: defaults.tcpKeepAliveDelayMs,
      });
  const tracker = trackConnections({ front, http1, http2: h2, idleTimeoutMs });

  function serve(req: NodeRequest, res: NodeResponse): void {
    try {
      handler(req, res);
    } catch (error) {
      // A handler must not throw; if it does, answer 500 rather than crash the
      // process, and say so.
      if (res.headersSent) {
        res.destroy();
      } else {
        res.statusCode = 500;
        res.end();
      }
      onError(error instanceof Error ? error : new Error(`the handler threw ${String(error)}`, { cause: error }));
    }
  }
  http1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    tracker.trackResponse(res);
    serve(req, res);
  });
  h2.on("request", serve);

  if (front instanceof tls.Server) {
    // Raw sockets in their TLS handshake, keyed by peer address, to find them in
    // `secureConnection`, which hands over the TLS socket instead.
    const handshaking = new Map<string, net.Socket>();
    front.on("connection", (raw: net.Socket) => {
      const key = peerKey(raw);
      tracker.startPending(raw);
      handshaking.set(key, raw);
      raw.once("close", () => handshaking.delete(key));
    });
    front.on("secureConnection", (socket: tls.TLSSocket) => {
      const raw = handshaking.get(peerKey(socket));
      if (raw !== undefined) {
        handshaking.delete(peerKey(socket));
        tracker.endPending(raw);
      }
      if (socket.alpnProtocol === "h2") {
        h2.emit("connection", socket);
      } else {
        tracker.startPending(socket);
        http1.emit("connection", socket);
      }
    });
    front.on("tlsClientError", (_error: Error, socket: tls.TLSSocket) => socket.destroy());
  } else {
    front.on("connection", (socket: net.Socket) => {
      tracker.startPending(socket);
      sniffHttpVersion(socket, headersTimeoutMs, (protocol) => {
        if (protocol === "h2") {
          tracker.endPending(socket);
          h2.emit("connection", socket);
        } else {
          // Stays pending until its first request arrives.
          http1.emit("connection", socket);
          socket.resume();
        }
      });
    });
  }

  await new Promise<void>((resolve, reject) => {
    const onListenError = (error: NodeJS.ErrnoException): void => {
      http1.close();
      reject(new Error(`cannot listen on ${hostPort(host, port)}: ${error.code ?? error.message}`, { cause: error }));
    };
    front.once("error", onListenError);
    front.listen({ host, port }, () => {
      front.off("error", onListenError);
      resolve();
    });
  });
  front.on("error", onError);

  const address = front.address() as net.AddressInfo;
  const scheme = options.tls ? "https" : "http";
  return {
    url: `${scheme}://${hostPort(clientHost(host), address.port)}`,
    port: address.port,
    close: (closeOptions) => tracker.close(closeOptions?.graceMs ?? defaults.graceMs),
  };
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

/** Validates the PEM now, so a bad certificate fails at startup with a clear message. */
function secureContextOptions(credentials: TlsCredentials): tls.SecureContextOptions {
  try {
    tls.createSecureContext({ cert: credentials.cert, key: credentials.key });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`TLS certificate or key is not usable: ${reason}`);
  }
  return { cert: credentials.cert, key: credentials.key };
}

function peerKey(socket: net.Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

/** Wildcard bind addresses are reached through loopback. */
function clientHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "::1";
  return host;
}

function hostPort(host: string, port: number): string {
  const bare = host.startsWith("[") ? host.slice(1, -1) : host;
  return net.isIPv6(bare) ? `[${bare}]:${port}` : `${bare}:${port}`;
}
