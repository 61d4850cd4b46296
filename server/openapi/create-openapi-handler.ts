import type { ServerResponse } from "node:http";
import type { NodeHandler } from "../rpc/node-handler.js";

/**
 * A request handler that answers `GET` (and `HEAD`) `/openapi.json` with
 * `document` as JSON and returns true; for any other request it does nothing
 * and returns false, so the caller passes the request on. The JSON text is
 * built once, here.
 */
export function createOpenApiHandler(document: object): NodeHandler<boolean> {
  const body = Buffer.from(JSON.stringify(document));
  const headers = {
    "content-type": "application/json",
    "content-length": String(body.length),
    "cache-control": "public, max-age=300",
  };
  return (req, res) => {
    const url = req.url ?? "";
    if (url !== "/openapi.json" && !url.startsWith("/openapi.json?")) return false;
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    // Both response kinds have these methods; their union has no common overload.
    const out = res as ServerResponse;
    out.writeHead(200, headers);
    if (req.method === "HEAD") out.end();
    else out.end(body);
    return true;
  };
}
