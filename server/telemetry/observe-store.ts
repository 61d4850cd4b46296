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
  // A plain object with one wrapper per method, made once: no Proxy trap per call.
  const observed = Object.create(store) as Record<string, unknown>;
  const keys = new Set<string>();
  for (let o: object | null = store; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) keys.add(key);
  }
  for (const key of keys) {
    const value = (store as unknown as Record<string, unknown>)[key];
    if (key === "constructor" || typeof value !== "function") continue;
    const original = value as (...args: unknown[]) => Promise<unknown>;
    const ok = (start: number) => metrics?.observeStore(key, "ok", (performance.now() - start) / 1000);
    const failed = (start: number) => metrics?.observeStore(key, "error", (performance.now() - start) / 1000);
    observed[key] = function observedCall(...args: unknown[]) {
      const start = performance.now();
      if (trace.getActiveSpan() === undefined) {
        return original.apply(store, args).then(
          (result) => {
            ok(start);
            return result;
          },
          (error: unknown) => {
            failed(start);
            throw error;
          },
        );
      }
      return tracer.startActiveSpan(`store.${key}`, async (span) => {
        try {
          const result = await original.apply(store, args);
          ok(start);
          return result;
        } catch (error) {
          failed(start);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      });
    };
  }
  return observed as unknown as Store;
}
