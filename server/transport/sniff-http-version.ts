import type { Socket } from "node:net";

/** The HTTP/2 client connection preface (RFC 9113 section 3.4), 24 bytes. */
export const HTTP2_PREFACE: Buffer = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** What a cleartext connection speaks: HTTP/2 with prior knowledge, or HTTP/1.x. */
export type SniffedProtocol = "h2" | "http/1.1";

/**
 * Tells an HTTP/2 prior-knowledge client (h2c) from an HTTP/1.x client by reading
 * the first bytes of a cleartext connection, without losing them.
 *
 * The verdict is "h2" once all 24 bytes of the preface have arrived and match, and
 * "http/1.1" at the first byte that differs from the preface, so an HTTP/1.1 request
 * ("GET / HTTP/1.1", shorter than the preface) is decided on its first byte and
 * never waits for 24 bytes. A preface split across packets is reassembled.
 *
 * On a verdict the bytes read are put back with `socket.unshift`, the socket is left
 * paused, and `onProtocol` is called synchronously: the caller hands the socket to
 * an HTTP server at once (and resumes it for HTTP/1.1).
 *
 * A connection that ends, fails or is still undecided after `timeoutMs` (0 = no
 * limit) is destroyed and `onProtocol` is never called. Socket errors before the
 * verdict are swallowed here, so a client that resets early cannot crash the server.
 */
export function sniffHttpVersion(
  socket: Socket,
  timeoutMs: number,
  onProtocol: (protocol: SniffedProtocol) => void,
): void {
  let head: Buffer | undefined;
  const timer = timeoutMs > 0 ? setTimeout(giveUp, timeoutMs) : undefined;
  timer?.unref();

  function onData(chunk: Buffer): void {
    head = head === undefined ? chunk : Buffer.concat([head, chunk]);
    const verdict = classify(head);
    if (verdict === undefined) return;
    detach();
    socket.pause();
    socket.unshift(head);
    onProtocol(verdict);
  }

  function giveUp(): void {
    detach();
    socket.destroy();
  }

  function detach(): void {
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("end", giveUp);
    socket.off("error", giveUp);
    socket.off("close", detach);
  }

  socket.on("data", onData);
  socket.on("end", giveUp);
  socket.on("error", giveUp);
  socket.on("close", detach);
}

/** "h2", "http/1.1", or undefined while the bytes so far are a strict prefix of the preface. */
export function classify(head: Buffer): SniffedProtocol | undefined {
  const n = Math.min(head.length, HTTP2_PREFACE.length);
  if (head.compare(HTTP2_PREFACE, 0, n, 0, n) !== 0) return "http/1.1";
  return n === HTTP2_PREFACE.length ? "h2" : undefined;
}
