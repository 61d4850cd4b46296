import { context, propagation, trace, type Context } from "@opentelemetry/api";

let tracingOn = false;

/** Whether `startTracing` registered a provider: while it has not, callers may skip span work. */
export function isTracingOn(): boolean {
  return tracingOn;
}

/** A tracer provider that exports spans over OTLP/HTTP; `shutdown()` flushes what is pending. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Turns tracing on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: a Node tracer provider with
 * W3C trace context, a batch processor and the OTLP/HTTP exporter (which reads
 * the standard `OTEL_*` variables: headers, timeout, `OTEL_BSP_*` batching).
 * Resolves undefined, loading nothing of the SDK, when neither is set: the
 * OpenTelemetry API then hands out no-op spans.
 */
export async function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing | undefined> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME || serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  tracingOn = true;
  return {
    async shutdown() {
      tracingOn = false;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** The W3C trace context of `ctx` (default: the active one) as a string map, for a command to carry. */
export function traceCarrier(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context a carried trace context continues (the active one when `carrier` holds none). */
export function contextFromCarrier(carrier: Readonly<Record<string, string>>): Context {
  return propagation.extract(context.active(), carrier);
}
