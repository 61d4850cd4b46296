import type { ServerResponse } from "node:http";
import type { NodeHandler } from "../rpc/node-handler.js";

/**
 * A request handler that answers `GET` (and `HEAD`) `/openapi.json` with
 * `document` as JSON and returns true; for any other request it does nothing
 * and returns false, so the caller passes the request on. `document` may be a
 * function: it is then built on the first request for it, not with the app
 * (every app, and the tests make hundreds, would pay a few milliseconds for
 * a document most never serve). Either way the JSON text is built once.
 */
export function createOpenApiHandler(document: object | (() => object)): NodeHandler<boolean> {
  let served: { body: Buffer; headers: Record<string, string> } | undefined;
  const build = () => {
    const body = Buffer.from(JSON.stringify(typeof document === "function" ? document() : document));
    return {
      body,
      headers: { "content-type": "application/json", "content-length": String(body.length), "cache-control": "public, max-age=300" },
    };
  };
  return (req, res) => {
    const url = req.url ?? "";
    if (url !== "/openapi.json" && !url.startsWith("/openapi.json?")) return false;
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    // Both response kinds have these methods; their union has no common overload.
    const out = res as ServerResponse;
    served ??= build();
    out.writeHead(200, served.headers);
    if (req.method === "HEAD") out.end();
    else out.end(served.body);
    return true;
  };
}
