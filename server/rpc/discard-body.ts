import type { NodeRequest } from "./node-handler.js";

/**
 * Drops what is left of the body of a request that was refused on its headers
 * alone: each chunk is let go as it arrives, so the refusal costs no memory,
 * and the connection stays usable (over HTTP/2, data left unread would count
 * against the session's memory until Node refuses new streams with
 * ENHANCE_YOUR_CALM). A body that goes past `limitBytes` is not worth waiting
 * for: the request is destroyed (its HTTP/2 stream reset, its HTTP/1.1
 * connection closed) once its answer has gone out.
 */
export function discardBody(req: NodeRequest, limitBytes: number): void {
  if (req.readableEnded) return;
  const declared = Number(req.headers["content-length"]);
  let seen = 0;
  const stop = () => {
    req.off("data", onData);
    req.destroy();
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > limitBytes) stop();
  };
  req.on("error", () => {});
  if (Number.isFinite(declared) && declared > limitBytes) {
    setImmediate(stop);
    return;
  }
  req.on("data", onData);
}
