import { SpanStatusCode, trace } from "@opentelemetry/api";
import type { Store } from "../store/store.js";
import type { Metrics } from "./create-metrics.js";

const tracer = trace.getTracer("wsctl");

/**
 * The store, observed, whatever its engine: every method call is timed into
 * `wsctl_store_duration_seconds{operation, outcome}` and runs in a
 * `store.<operation>` span (a child of the call's span when tracing is on).
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
