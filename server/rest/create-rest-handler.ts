import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type Interceptor } from "@connectrpc/connect";
import { createMethodInvoker } from "../rpc/create-method-invoker.js";
import { createNodeHandlerContext } from "../rpc/create-node-handler-context.js";
import { discardBody } from "../rpc/discard-body.js";
import type { NodeHandler, NodeRequest, NodeResponse } from "../rpc/node-handler.js";
import type { ServiceBinding } from "../rpc/service-binding.js";
import { createRouteTable, type Route } from "./create-route-table.js";
import { outputJson } from "./output-json.js";
import { requestFromHttp } from "./request-from-http.js";
import { writeNdjson } from "./write-ndjson.js";
import { asResponseLike, copyHeaders, writeJson, writeRestError } from "./write-rest-response.js";

export interface RestHandlerOptions {
  /** Services whose `google.api.http` bindings are served. */
  services: readonly ServiceBinding[];
  /**
   * Connect interceptors, in the order given to Connect's router: the first is
   * the outermost. Default none. Composed once at startup, as
   * `createMethodInvoker` describes (what an interceptor may hand on).
   */
  interceptors?: readonly Interceptor[];
  /** Largest request body accepted, in bytes; larger is `resource_exhausted` (429). Default 1 MiB. */
  readMaxBytes?: number;
  /** Aborted when the server shuts down: every call's signal follows it. Default none. */
  shutdownSignal?: AbortSignal;
  /** Context values of a call, as Connect's `contextValues` option. Default `createContextValues()`. */
  contextValues?: (req: NodeRequest) => ContextValues;
  /**
   * Admits a call before its body is read (authentication, rate limits; see
   * `createAuthGate`): resolves with the call's context values (then
   * `contextValues` is not asked) or rejects with the error to answer. Default
   * none: every call is admitted and the interceptors decide.
   */
  admit?: (req: NodeRequest, method: DescMethod) => Promise<ContextValues>;
  /**
   * Told about errors that are not `ConnectError` (the caller only sees
   * "internal error"). Default: `console.error` with the method's name.
   */
  onInternalError?: (error: unknown, method: DescMethod) => void;
}

/** Takes a request if a REST route matches its path (returns true), else returns false and touches nothing. */
export type RestHandler = NodeHandler<boolean>;

/** The abort reason of a call's signal once the call is over. */
const callCompleted = new ConnectError("the call completed", Code.Canceled);

/**
 * Serve the `google.api.http` bindings of `options.services` (see
 * `createRouteTable` and `requestFromHttp` for the mapping). Calls run the same
 * interceptors as Connect, then the implementation, directly: no second trip
 * through Connect's handler. Unary responses are 200 `application/json` with
 * proto field names; server-streaming ones are 200 `application/x-ndjson`, one
 * message per line, with a last line `{"error": {...}}` if the stream fails
 * after it started. A path bound only under other methods answers 405 with an
 * `unimplemented` error body and an `Allow` header (an `OPTIONS` request there
 * returns false instead, so the CORS layer in front of Connect answers it).
 * A body sent with a `Content-Encoding` other than `identity` is refused 415
 * (`unimplemented`, with `Accept-Encoding: identity`) before it is read.
 */
export function createRestHandler(options: RestHandlerOptions): RestHandler {
  const readMaxBytes = options.readMaxBytes ?? 1024 * 1024;
  const table = createRouteTable(options.services.map((s) => s.service));
  const onInternalError =
    options.onInternalError ??
    ((error: unknown, method: DescMethod) => {
      console.error(`REST ${method.parent.typeName}.${method.name} failed:`, error);
    });
  const invoker = createMethodInvoker({ services: options.services, interceptors: options.interceptors });

  async function serve(req: NodeRequest, res: NodeResponse, route: Route, values: readonly string[], target: string): Promise<void> {
    const { method } = route;
    let contextValues: ContextValues | undefined;
    if (options.admit) {
      try {
        contextValues = await options.admit(req, method);
      } catch (error) {
        // Refused on its headers alone: the body is never parsed, only dropped as it arrives.
        writeRestError(res, error);
        discardBody(req, res, readMaxBytes);
        return;
      }
    } else {
      contextValues = options.contextValues?.(req);
    }
    const encoding = route.body !== "" ? unsupportedEncoding(req) : undefined;
    if (encoding !== undefined) {
      const error = new ConnectError(`Content-Encoding ${encoding} is not supported: send the body uncompressed`, Code.Unimplemented);
      asResponseLike(res).setHeader("accept-encoding", "identity");
      writeRestError(res, error, undefined, 415);
      discardBody(req, res, readMaxBytes);
      return;
    }
    const ctx = createNodeHandlerContext(req, {
      method,
      protocolName: "rest",
      contextValues,
      shutdownSignal: options.shutdownSignal,
    });
    const r = asResponseLike(res);
    const onClose = () => {
      if (!r.writableEnded) ctx.abort(new ConnectError("client closed the connection", Code.Canceled));
    };
    r.once("close", onClose);
    try {
      const message = await requestFromHttp(route, values, target, req, readMaxBytes);
      if (method.methodKind === "unary") {
        const response = await invoker.unary(ctx, message);
        if (r.destroyed) return;
        copyHeaders(res, response.header);
        writeJson(res, 200, outputJson(route, response.message));
      } else {
        const response = await invoker.serverStream(ctx, message);
        await writeNdjson(res, response, ctx.signal, route, (error) => onInternalError(error, method));
      }
    } catch (error) {
      if (!(error instanceof ConnectError)) onInternalError(error, method);
      writeRestError(res, error, ctx.responseHeader);
    } finally {
      r.off("close", onClose);
      // Ends work the call started downstream; a shared reason spares a DOMException per call.
      ctx.abort(callCompleted);
    }
  }

  return (req, res) => {
    const target = req.url ?? "/";
    const found = table.lookup(req.method ?? "GET", target);
    if (found === undefined) return false;
    if (found.kind === "method_not_allowed") {
      // CORS preflights are left to the CORS layer in front of Connect.
      if (req.method === "OPTIONS") return false;
      const allow = found.allowed.join(", ");
      asResponseLike(res).setHeader("allow", allow);
      const path = target.split("?", 1)[0];
      const error = new ConnectError(`${req.method} is not allowed on ${path}; allowed: ${allow}`, Code.Unimplemented);
      writeRestError(res, error, undefined, 405);
      return true;
    }
    serve(req, res, found.route, found.values, target).catch((error: unknown) => {
      onInternalError(error, found.route.method);
    });
    return true;
  };
}

/** The request's `Content-Encoding` when it is anything but `identity` (the only one REST reads), else undefined. */
function unsupportedEncoding(req: NodeRequest): string | undefined {
  const value = req.headers["content-encoding"];
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(", ") : value;
  return text.split(",").every((part) => part.trim().toLowerCase() === "identity" || part.trim() === "") ? undefined : text;
}
