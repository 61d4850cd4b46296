import { create, type DescMessage, type DescMethod, isMessage, type Message } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextKey,
  createServiceImplSpec,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import type { ServiceBinding } from "./service-binding.js";

export interface MethodInvokerOptions {
  /** The services whose methods can be called. */
  services: readonly ServiceBinding[];
  /**
   * Connect interceptors, in the order given to Connect's router: the first is
   * the outermost. Default none. The chain is composed once, here, not per
   * call, so an interceptor should keep per-call state inside its inner
   * function. It may hand on other headers or another signal, and set values
   * in the request's `contextValues`, but must hand on that same
   * `contextValues` object (the call's context travels in it): one that hands
   * on other context values fails the call with `internal`.
   */
  interceptors?: readonly Interceptor[];
}

/**
 * Calls a method as Connect's handler would, for a protocol that has decoded
 * the input itself: the interceptors, then the implementation, with `ctx` as
 * its handler context (or a copy carrying what an interceptor replaced:
 * headers, signal, context values). Responses carry `ctx.responseHeader` and
 * `ctx.responseTrailer`; output init shapes are turned into messages.
 */
export interface MethodInvoker {
  /** Calls the unary method `ctx.method` with `input`. */
  unary(ctx: HandlerContext, input: Message): Promise<UnaryResponse>;
  /** Calls the server-streaming method `ctx.method` with `input`; the response's messages stream as produced. */
  serverStream(ctx: HandlerContext, input: Message): Promise<StreamResponse>;
}

type AnyFn = Parameters<Interceptor>[0];
type Impl = (input: Message, ctx: HandlerContext) => unknown;

// How the innermost function of the chain finds the call's context: interceptors
// see requests, not contexts, and pass the context values on.
const kHandlerContext = createContextKey<HandlerContext | undefined>(undefined, { description: "method invoker handler context" });

/**
 * The protocol-neutral core of a call: looks each method's implementation up
 * once (Connect's `createServiceImplSpec`, so a method left out throws
 * `unimplemented` as under Connect's router) and runs it behind the
 * interceptor chain, without a trip through Connect's protocol handlers.
 */
export function createMethodInvoker(options: MethodInvokerOptions): MethodInvoker {
  const specs = new Map<DescMethod, MethodImplSpec>();
  for (const { service, impl } of options.services) {
    for (const spec of Object.values(createServiceImplSpec(service, impl).methods)) specs.set(spec.method, spec);
  }

  const invoke: AnyFn = async (req) => {
    const ctx = req.contextValues.get(kHandlerContext);
    if (ctx === undefined) throw new ConnectError("call without its handler context", Code.Internal);
    const context =
      req.header === ctx.requestHeader && req.signal === ctx.signal && req.contextValues === ctx.values
        ? ctx
        : { ...ctx, service: req.service, requestHeader: req.header, signal: req.signal, values: req.contextValues };
    const spec = specs.get(req.method);
    if (spec === undefined) {
      throw new ConnectError(`${req.service.typeName}.${req.method.name} is not implemented`, Code.Unimplemented);
    }
    const fn = spec.impl as Impl;
    const common = { service: req.service, header: ctx.responseHeader, trailer: ctx.responseTrailer };
    if (!req.stream) {
      const output = normalize(req.method.output, await fn(req.message, context));
      return { ...common, stream: false, method: req.method, message: output } as UnaryResponse;
    }
    const input = await single(req.message);
    const outputs = fn(input, context) as AsyncIterable<unknown>;
    return { ...common, stream: true, method: req.method, message: normalizeAll(req.method.output, outputs) };
  };
  const chain = (options.interceptors ?? []).reduceRight<AnyFn>((next, i) => i(next), invoke);

  // One request object per call, built from the context as Connect's handler builds it.
  const call = (ctx: HandlerContext, stream: boolean, message: Message | AsyncIterable<Message>) => {
    ctx.values.set(kHandlerContext, ctx);
    const request = {
      service: ctx.service,
      method: ctx.method,
      requestMethod: ctx.requestMethod,
      url: ctx.url,
      signal: ctx.signal,
      header: ctx.requestHeader,
      contextValues: ctx.values,
      stream,
      message,
    };
    return chain(request as UnaryRequest | StreamRequest);
  };
  return {
    unary: (ctx, input) => call(ctx, false, input) as Promise<UnaryResponse>,
    serverStream: (ctx, input) => call(ctx, true, once(input)) as Promise<StreamResponse>,
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
