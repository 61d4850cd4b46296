import { SpanStatusCode, trace } from "@opentelemetry/api";
import type { Store } from "../store/store.js";
import type { Metrics } from "./create-metrics.js";

const tracer = trace.getTracer("wsctl");

/**
 * The store, observed, whatever its engine: every method call is timed into
 * `wsctl_store_duration_seconds{operation, outcome}`, and a call made inside
 * a span (an RPC's, when tracing is on) runs in a `store.<operation>` child
 * span; background calls (readiness probes, sweeps) start no trace of their own.
 * Arguments and results pass through untouched; nothing is logged.
 */
export function observeStore(store: Store, metrics: Metrics | undefined): Store {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== "function" || typeof key !== "string") return value;
      let fn = wrapped.get(key);
      if (fn === undefined) {
        const original = value as (...args: unknown[]) => unknown;
        fn = (...args: unknown[]) => {
          const start = performance.now();
          if (trace.getActiveSpan() === undefined) {
            const done = (outcome: string) => metrics?.storeSeconds.observe({ operation: key, outcome }, (performance.now() - start) / 1000);
            return (original.apply(target, args) as Promise<unknown>).then(
              (value) => {
                done("ok");
                return value;
              },
              (error: unknown) => {
                done("error");
                throw error;
              },
            );
          }
          return tracer.startActiveSpan(`store.${key}`, async (span) => {
            let outcome = "ok";
            try {
              return await original.apply(target, args);
            } catch (error) {
              outcome = "error";
              span.setStatus({ code: SpanStatusCode.ERROR });
              throw error;
            } finally {
              span.end();
              metrics?.storeSeconds.observe({ operation: key, outcome }, (performance.now() - start) / 1000);
            }
          });
        };
        wrapped.set(key, fn);
      }
      return fn;
    },
  });
}
