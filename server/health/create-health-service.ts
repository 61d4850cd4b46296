import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  Health,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as Wire,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
} from "../../gen/health/v1/health_pb.js";
import { type ServiceBinding, serviceBinding } from "../rpc/service-binding.js";
import type { ServingStatus } from "./create-health-status.js";

export interface HealthServiceOptions {
  /** The status of a service by name; `""` is the server as a whole. */
  check(service: string): ServingStatus;
  /**
   * Subscribes to status changes, so Watch answers a change at once. Returns
   * the unsubscribe function. Optional: without it Watch only polls `check`.
   */
  onChange?(listener: (service: string) => void): () => void;
  /** Every known service and its status, for List. Without it List answers UNIMPLEMENTED. */
  list?(): Iterable<[string, ServingStatus]>;
  /**
   * How often Watch re-reads `check`, in milliseconds, catching changes that
   * `onChange` does not report. Default 5000.
   */
  watchIntervalMs?: number;
}

// One immutable message per status: nothing allocated per Check.
const responses: Record<ServingStatus, HealthCheckResponse> = {
  SERVING: create(HealthCheckResponseSchema, { status: Wire.SERVING }),
  NOT_SERVING: create(HealthCheckResponseSchema, { status: Wire.NOT_SERVING }),
  SERVICE_UNKNOWN: create(HealthCheckResponseSchema, { status: Wire.SERVICE_UNKNOWN }),
};

/**
 * The standard gRPC health service, `grpc.health.v1.Health`, for load
 * balancers, Kubernetes probes and `grpc_health_probe`:
 * - Check answers the service's status; an unknown service is NOT_FOUND, as the
 *   health protocol says.
 * - Watch sends the current status at once, then each change until the caller
 *   cancels; an unknown service is reported as SERVICE_UNKNOWN, not an error.
 * - List answers every known service (when `options.list` is given).
 *
 * Pass a `createHealthStatus()` registry as `options` to serve it. The service
 * is meant to be served without authentication.
 */
export function createHealthService(options: HealthServiceOptions): ServiceBinding {
  const intervalMs = options.watchIntervalMs ?? 5000;
  const impl: ServiceImpl<typeof Health> = {
    check(req) {
      const status = options.check(req.service);
      if (status === "SERVICE_UNKNOWN") throw new ConnectError(`unknown service: ${req.service}`, Code.NotFound);
      return responses[status];
    },
    list() {
      if (options.list === undefined) throw new ConnectError("health List is not supported", Code.Unimplemented);
      const statuses: Record<string, HealthCheckResponse> = {};
      for (const [service, status] of options.list()) statuses[service] = responses[status];
      return create(HealthListResponseSchema, { statuses });
    },
    async *watch(req, ctx) {
      const { signal } = ctx;
      let changed = false;
      let wake: (() => void) | undefined;
      const notify = (): void => {
        changed = true;
        wake?.();
      };
      const unsubscribe = options.onChange?.((service) => {
        if (service === req.service) notify();
      });
      signal.addEventListener("abort", notify);
      let timer: NodeJS.Timeout | undefined;
      try {
        let last = options.check(req.service);
        yield responses[last];
        while (!signal.aborted) {
          if (!changed) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              timer = setTimeout(resolve, intervalMs);
            });
            clearTimeout(timer);
            wake = undefined;
          }
          changed = false;
          if (signal.aborted) break;
          const now = options.check(req.service);
          if (now !== last) {
            last = now;
            yield responses[now];
          }
        }
      } finally {
        clearTimeout(timer);
        unsubscribe?.();
        signal.removeEventListener("abort", notify);
      }
    },
  };
  return serviceBinding(Health, impl);
}
