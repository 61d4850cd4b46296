import { Code, ConnectError, type StreamResponse } from "@connectrpc/connect";
import type { NodeResponse } from "../rpc/node-handler.js";
import type { Route } from "./create-route-table.js";
import { outputJson } from "./output-json.js";
import { restErrorBody } from "./rest-error-body.js";
import { asResponseLike, copyHeaders } from "./write-rest-response.js";

/**
 * Write a server stream as 200 `application/x-ndjson`: one JSON message per
 * line, written as each is produced. The status and headers go out with the
 * first message (or the end of an empty stream), so an error before that is
 * thrown to the caller and answered as a plain REST error. An error after it is
 * written as a last line `{"error": <REST error body>}`. When `signal` aborts
 * (client gone, server shutting down) the stream is closed and the response
 * ended.
 */
export async function writeNdjson(
  res: NodeResponse,
  response: StreamResponse,
  signal: AbortSignal,
  route: Route,
  onInternalError: (error: unknown) => void,
): Promise<void> {
  const r = asResponseLike(res);
  const it = response.message[Symbol.asyncIterator]();
  let started = false;
  const start = () => {
    copyHeaders(res, response.header);
    r.statusCode = 200;
    r.setHeader("content-type", "application/x-ndjson");
    r.setHeader("cache-control", "no-store");
    r.setHeader("x-content-type-options", "nosniff");
    started = true;
  };
  try {
    for (;;) {
      const next = await it.next();
      if (signal.aborted) {
        await it.return?.();
        if (!r.destroyed && !r.writableEnded) {
          if (!started) start();
          r.end(`${JSON.stringify({ error: restErrorBody(ConnectError.from(signal.reason, Code.Canceled)).body })}\n`);
        }
        return;
      }
      if (!started) start();
      if (next.done === true) break;
      if (!r.write(`${outputJson(route, next.value)}\n`)) await drained(r, signal);
    }
    r.end();
  } catch (error) {
    if (!started) throw error;
    if (!(error instanceof ConnectError)) onInternalError(error);
    if (!r.destroyed && !r.writableEnded) r.end(`${JSON.stringify({ error: restErrorBody(error).body })}\n`);
  }
}

function drained(r: ReturnType<typeof asResponseLike>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      r.off("drain", done);
      r.off("close", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    r.once("drain", done);
    r.once("close", done);
    signal.addEventListener("abort", done);
  });
}
