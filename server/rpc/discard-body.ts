import type { NodeRequest, NodeResponse } from "./node-handler.js";

/**
 * Drops what is left of the body of a request that was refused on its headers
 * alone: each chunk is let go as it arrives, so the refusal costs no memory,
 * and the connection stays usable (over HTTP/2, data left unread would count
 * against the session's memory until Node refuses new streams with
 * ENHANCE_YOUR_CALM). A body that goes past `limitBytes` is not worth waiting
 * for: the request is destroyed (its HTTP/2 stream reset, its HTTP/1.1
 * connection closed) once its answer has gone out.
 */
export function discardBody(req: NodeRequest, res: NodeResponse, limitBytes: number): void {
  if (req.readableEnded) return;
  const declared = Number(req.headers["content-length"]);
  let seen = 0;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    req.off("data", onData);
    // Once the answer is out: destroying the request earlier could cut it off.
    const r = res as unknown as { writableFinished: boolean; once(event: "finish" | "close", f: () => void): unknown };
    if (r.writableFinished) req.destroy();
    else {
      r.once("finish", () => req.destroy());
      r.once("close", () => req.destroy());
    }
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > limitBytes) stop();
  };
  req.on("error", () => {});
  req.on("data", onData);
  if (Number.isFinite(declared) && declared > limitBytes) stop();
}
