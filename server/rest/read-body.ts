import { Code, ConnectError } from "@connectrpc/connect";
import type { NodeRequest } from "../rpc/node-handler.js";

const empty = Buffer.alloc(0);

const tooLarge = (limit: number) =>
  new ConnectError(`request body is larger than ${limit} bytes`, Code.ResourceExhausted);

/**
 * Read a request body of at most `limit` bytes. A `Content-Length` over the
 * limit is refused before anything is read; a body without one (chunked, or
 * HTTP/2 data frames) is counted while it arrives and refused as soon as it
 * passes the limit. Either way the rejection is `resource_exhausted`. After a
 * rejection the rest of the body is left to drain and be discarded.
 */
export function readBody(req: NodeRequest, limit: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined) {
    const n = Number(declared);
    if (!Number.isInteger(n) || n < 0) {
      return Promise.reject(new ConnectError("invalid Content-Length", Code.InvalidArgument));
    }
    if (n > limit) return Promise.reject(tooLarge(limit));
    if (n === 0) return Promise.resolve(empty);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
      // Keep the stream flowing so the rest is discarded, not buffered.
      req.resume();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = () => {
      cleanup();
      reject(new ConnectError("request body could not be read", Code.Canceled));
    };
    const onAborted = () => {
      cleanup();
      reject(new ConnectError("client closed the request", Code.Canceled));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}
