import type { DescMethod } from "@bufbuild/protobuf";
import { type ContextValues, createHandlerContext } from "@connectrpc/connect";
import type { NodeRequest } from "./node-handler.js";

/** A handler context its creator can end: `abort(reason)` aborts its signal. */
export type AbortableHandlerContext = ReturnType<typeof createHandlerContext>;

export interface NodeHandlerContextInit {
  /** The method called; its service is `method.parent`. */
  method: DescMethod;
  /** `HandlerContext.protocolName`, for example `"rest"`. */
  protocolName: string;
  /** The call's context values. Default: new, empty ones. */
  contextValues?: ContextValues;
  /** The context's signal follows it (server shutdown). Default: none. */
  shutdownSignal?: AbortSignal;
}

/**
 * The Connect handler context of a call that arrived as a Node request: its
 * HTTP method, absolute URL (scheme from `:scheme` or the socket's TLS,
 * authority from `:authority` or `Host`) and request headers (HTTP/2
 * pseudo-headers left out, repeated ones joined with ", "). The caller aborts
 * it when the call is over.
 */
export function createNodeHandlerContext(req: NodeRequest, init: NodeHandlerContextInit): AbortableHandlerContext {
  const { method } = init;
  return createHandlerContext({
    service: method.parent,
    method,
    protocolName: init.protocolName,
    requestMethod: req.method ?? "GET",
    url: requestUrl(req),
    requestHeader: headerRecord(req),
    contextValues: init.contextValues,
    shutdownSignal: init.shutdownSignal,
  });
}

/** Request headers as a record (HTTP/2 pseudo-headers left out). */
function headerRecord(req: NodeRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = req.headers;
  for (const key in headers) {
    if (key.charCodeAt(0) === 0x3a /* : */) continue;
    const v = headers[key];
    if (v === undefined) continue;
    out[key] = typeof v === "string" ? v : v.join(", ");
  }
  return out;
}

function requestUrl(req: NodeRequest): string {
  const h = req.headers;
  const authority = (h[":authority"] as string | undefined) ?? h.host ?? "localhost";
  const scheme =
    (h[":scheme"] as string | undefined) ?? ((req.socket as { encrypted?: boolean }).encrypted ? "https" : "http");
  return `${scheme}://${authority}${req.url ?? "/"}`;
}
