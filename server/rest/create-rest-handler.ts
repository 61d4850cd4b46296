import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  isMessage,
  type Message,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextKey,
  createContextValues,
  createHandlerContext,
  type HandlerContext,
  type Interceptor,
  type ServiceImpl,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { outputJson } from "./output-json.js";
import { requestFromHttp } from "./request-from-http.js";
import { createRouteTable, type Route } from "./create-route-table.js";
import { writeNdjson } from "./write-ndjson.js";
import { asResponseLike, copyHeaders, type NodeResponse, writeJson, writeRestError } from "./write-rest-response.js";

/** A service and its implementation: the same objects given to Connect's router. */
export interface RestService {
  service: DescService;
  impl: Partial<ServiceImpl<DescService>>;
}

/**
 * A `RestService` with the implementation type-checked against its own service
 * (an object literal typed for one service does not assign to the generic type).
 */
export function restService<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): RestService {
  return { service, impl: impl as Partial<ServiceImpl<DescService>> };
}

export interface RestHandlerOptions {
  /** Services whose `google.api.http` bindings are served. */
  services: readonly RestService[];
  /**
   * Connect interceptors, in the order given to Connect's router: the first is
   * the outermost. Default none. The chain is composed once at startup, not per
   * request, so an interceptor should keep per-call state inside its inner
   * function.
   */
  interceptors?: Interceptor[];
  /** Largest request body accepted, in bytes; larger is `resource_exhausted` (429). Default 1 MiB. */
  readMaxBytes?: number;
  /** Aborted when the server shuts down: every call's signal follows it. Default none. */
  shutdownSignal?: AbortSignal;
  /** Context values of a call, as Connect's `contextValues` option. Default `createContextValues()`. */
  contextValues?: (req: IncomingMessage | Http2ServerRequest) => ContextValues;
  /**
   * Told about errors that are not `ConnectError` (the caller only sees
   * "internal error"). Default: `console.error` with the method's name.
   */
  onInternalError?: (error: unknown, method: DescMethod) => void;
}

/** Takes a request if a REST route matches its path (returns true), else returns false and touches nothing. */
export type RestHandler = (req: IncomingMessage | Http2ServerRequest, res: NodeResponse) => boolean;

type AnyFn = Parameters<Interceptor>[0];
type Impl = (input: Message, ctx: HandlerContext) => unknown;

const kHandlerContext = createContextKey<HandlerContext | undefined>(undefined, { description: "rest handler context" });

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
 */
export function createRestHandler(options: RestHandlerOptions): RestHandler {
  const readMaxBytes = options.readMaxBytes ?? 1024 * 1024;
  const table = createRouteTable(options.services.map((s) => s.service));
  const onInternalError =
    options.onInternalError ??
    ((error: unknown, method: DescMethod) => {
      console.error(`REST ${method.parent.typeName}.${method.name} failed:`, error);
    });
  const impls = new Map<DescMethod, Impl>();
  for (const { service, impl } of options.services) {
    for (const method of service.methods) {
      const fn = (impl as Record<string, unknown>)[method.localName];
      if (typeof fn === "function") impls.set(method, fn.bind(impl) as Impl);
    }
  }

  const invoke: AnyFn = async (req) => {
    const ctx = req.contextValues.get(kHandlerContext);
    if (ctx === undefined) throw new ConnectError("REST call without its handler context", Code.Internal);
    const call =
      req.header === ctx.requestHeader && req.signal === ctx.signal && req.contextValues === ctx.values
        ? ctx
        : { ...ctx, service: req.service, requestHeader: req.header, signal: req.signal, values: req.contextValues };
    const fn = impls.get(req.method);
    if (fn === undefined) {
      throw new ConnectError(`${req.service.typeName}.${req.method.name} is not implemented`, Code.Unimplemented);
    }
    const common = { service: req.service, header: ctx.responseHeader, trailer: ctx.responseTrailer };
    if (!req.stream) {
      const output = normalize(req.method.output, await fn(req.message, call));
      return { ...common, stream: false, method: req.method, message: output } as UnaryResponse;
    }
    const input = await single(req.message);
    const outputs = fn(input, call) as AsyncIterable<unknown>;
    return { ...common, stream: true, method: req.method, message: normalizeAll(req.method.output, outputs) };
  };
  const chain = (options.interceptors ?? []).reduceRight<AnyFn>((next, i) => i(next), invoke);

  async function serve(
    req: IncomingMessage | Http2ServerRequest,
    res: NodeResponse,
    route: Route,
    values: readonly string[],
    target: string,
  ): Promise<void> {
    const { service, method } = route;
    const requestMethod = req.method ?? "GET";
    const url = requestUrl(req, target);
    const contextValues = options.contextValues?.(req) ?? createContextValues();
    const ctx = createHandlerContext({
      service,
      method,
      protocolName: "rest",
      requestMethod,
      url,
      requestHeader: headerRecord(req),
      contextValues,
      shutdownSignal: options.shutdownSignal,
    });
    contextValues.set(kHandlerContext, ctx);
    const r = asResponseLike(res);
    const onClose = () => {
      if (!r.writableEnded) ctx.abort(new ConnectError("client closed the connection", Code.Canceled));
    };
    r.once("close", onClose);
    try {
      const message = await requestFromHttp(route, values, target, req, readMaxBytes);
      const common = { service, requestMethod, url, signal: ctx.signal, header: ctx.requestHeader, contextValues };
      if (method.methodKind === "unary") {
        const request: UnaryRequest = { ...common, stream: false, method: method as UnaryRequest["method"], message };
        const response = (await chain(request)) as UnaryResponse;
        if (r.destroyed) return;
        copyHeaders(res, response.header);
        writeJson(res, 200, outputJson(route, response.message));
      } else {
        const request: StreamRequest = { ...common, stream: true, method: method as StreamRequest["method"], message: once(message) };
        const response = (await chain(request)) as StreamResponse;
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

function normalize(schema: DescMessage, value: unknown): Message {
  return isMessage(value, schema) ? value : create(schema, value as never);
}

async function* normalizeAll(schema: DescMessage, values: AsyncIterable<unknown>): AsyncIterable<Message> {
  for await (const v of values) yield normalize(schema, v);
}

async function* once(message: Message): AsyncIterable<Message> {
  yield message;
}

async function single(messages: AsyncIterable<Message>): Promise<Message> {
  for await (const m of messages) return m;
  throw new ConnectError("missing request message", Code.Internal);
}

/** Request headers as a record for the handler context (HTTP/2 pseudo-headers left out). */
function headerRecord(req: IncomingMessage | Http2ServerRequest): Record<string, string> {
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

function requestUrl(req: IncomingMessage | Http2ServerRequest, target: string): string {
  const h = req.headers;
  const authority = (h[":authority"] as string | undefined) ?? h.host ?? "localhost";
  const scheme =
    (h[":scheme"] as string | undefined) ?? ((req.socket as { encrypted?: boolean }).encrypted ? "https" : "http");
  return `${scheme}://${authority}${target}`;
}
