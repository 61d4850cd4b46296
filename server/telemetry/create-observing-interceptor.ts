import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type TextMapGetter } from "@opentelemetry/api";
import { randomUUID } from "node:crypto";
import { kPrincipal } from "../auth/principal.js";
import { tapStream } from "../streams/tap-stream.js";
import type { Logger } from "./create-logger.js";
import type { Metrics } from "./create-metrics.js";
import { kCallInfo } from "./request-context.js";
import { isTracingOn } from "./start-tracing.js";

export interface ObservingInterceptorOptions {
  logger: Logger;
  /** Default: no metrics. */
  metrics?: Metrics | undefined;
}

/** Ids an access line names; never a token, a prompt, a message text or metadata values. */
interface CallIds {
  workspace_id?: string;
  session_id?: string;
  machine_id?: string;
}

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};
const tracer = trace.getTracer("wsctl");
const methodNames = new WeakMap<object, string>();
/** Codes that say the server is at fault; the others are the caller's business. */
const serverFaults = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/**
 * Install first (outermost): for every call of every protocol, one access log
 * line when it ends (`msg: "rpc"`: method, protocol, HTTP version, code,
 * duration, request id, the principal's token id, and the workspace, session
 * and machine ids the request or response names), the RPC count and latency
 * metrics, a gauge of open streams, and a server span continuing the caller's
 * `traceparent` (while tracing is on; no span work at all otherwise). The
 * call runs in its span's context, so the store's and the daemon hub's spans
 * are its children; there is no AsyncLocalStorage of our own, which on Node
 * 20 would slow every promise of the process. The request id travels in the call's
 * context values (`kCallInfo`), which the services hand on. A stream the
 * client left early is `canceled`, at `info` like any caller's code; only
 * internal, unknown and data_loss are logged as errors.
 */
export function createObservingInterceptor(options: ObservingInterceptorOptions): Interceptor {
  const { logger, metrics } = options;
  return (next) => async (req) => {
    const start = performance.now();
    const info = req.contextValues.get(kCallInfo);
    const requestId = info?.requestId ?? randomUUID();
    const protocol = info?.protocol ?? protocolOf(req.header.get("content-type"));
    let method = methodNames.get(req.method);
    if (method === undefined) {
      method = `${req.service.typeName}/${req.method.name}`;
      methodNames.set(req.method, method);
    }
    const ids: CallIds = {};
    // Span work only while tracing is on: a no-op span still costs allocations per call.
    const span = isTracingOn()
      ? tracer.startSpan(
          method,
          { kind: SpanKind.SERVER, attributes: { "rpc.system": protocol === "grpc" ? "grpc" : "connect_rpc", "rpc.method": method, "request.id": requestId } },
          propagation.extract(ROOT_CONTEXT, req.header, headerGetter),
        )
      : undefined;
    const spanContext = span ? trace.setSpan(context.active(), span) : undefined;
    const within = spanContext ? <T>(fn: () => T): T => context.with(spanContext, fn) : <T>(fn: () => T): T => fn();

    const finish = (error: unknown): void => {
      const code = error === undefined ? "ok" : codeToString(ConnectError.from(error).code);
      const seconds = (performance.now() - start) / 1000;
      metrics?.observeRpc(method, protocol, code, seconds);
      const principal = req.contextValues.get(kPrincipal);
      if (principal?.kind === "machine") ids.machine_id ??= principal.machineId;
      const fault = error !== undefined && serverFaults.has(ConnectError.from(error).code);
      if (span) {
        span.setAttribute("rpc.connect_rpc.error_code", code);
        if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        span.end();
      }
      const level = fault ? "error" : "info";
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          request_id: requestId,
          method,
          protocol,
          http_version: info?.httpVersion,
          code,
          duration_ms: Math.round(seconds * 1e4) / 10,
          token_id: principal?.tokenId,
          ...ids,
        },
        "rpc",
      );
    };

    if (!req.stream) pickIds(req.message, ids);
    const call = req.stream ? { ...req, message: tapStream(req.message, { value: (m: object) => pickIds(m, ids) }) } : req;
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await within(() => next(call));
    } catch (error) {
      finish(error);
      throw error;
    }
    if (!res.stream) {
      pickIds(res.message, ids);
      finish(undefined);
      return res;
    }
    const kind = req.method.name;
    metrics?.openStreams.inc({ kind });
    const ended = (error: unknown) => {
      metrics?.openStreams.dec({ kind });
      finish(error ?? (req.signal.aborted ? new ConnectError("the client went away", Code.Canceled) : undefined));
    };
    let first = true;
    const value = (m: object) => {
      if (first) pickIds(m, ids);
      first = false;
    };
    return { ...res, message: tapStream(res.message, { value, end: ended, within }) };
  };
}

/** The protocol of a Connect-handled call, from its content type. */
function protocolOf(contentType: string | null): string {
  if (contentType === null) return "connect";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

function pickIds(message: unknown, ids: CallIds): void {
  const m = message as { workspaceId?: unknown; sessionId?: unknown; machineId?: unknown; payload?: unknown } | undefined;
  if (m === undefined || m === null) return;
  if (typeof m.workspaceId === "string" && m.workspaceId) ids.workspace_id ??= m.workspaceId;
  if (typeof m.sessionId === "string" && m.sessionId) ids.session_id ??= m.sessionId;
  if (typeof m.machineId === "string" && m.machineId) ids.machine_id ??= m.machineId;
  const p = m.payload as { session_id?: unknown; machine_id?: unknown } | undefined;
  if (p && typeof p === "object") {
    if (typeof p.session_id === "string") ids.session_id ??= p.session_id;
    if (typeof p.machine_id === "string") ids.machine_id ??= p.machine_id;
  }
}
