/** What a health check reports for a service. */
export type ServingStatus = "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

/** A status a service can be given; SERVICE_UNKNOWN is what an unregistered service reports. */
export type KnownServingStatus = Exclude<ServingStatus, "SERVICE_UNKNOWN">;

/**
 * The server's health, by service name; `""` is the server as a whole. It has
 * the shape `createHealthService` takes, so it can be passed to it directly.
 */
export interface HealthStatus {
  /** Give a service a status; listeners hear of it only if it changed. */
  set(service: string, status: KnownServingStatus): void;
  /** Forget a service: it reports SERVICE_UNKNOWN again. */
  remove(service: string): void;
  /** Give every known service (and `""`) a status, for example NOT_SERVING when shutting down. */
  setAll(status: KnownServingStatus): void;
  /** A service's status; SERVICE_UNKNOWN for one never set. */
  get(service: string): ServingStatus;
  /** The same as `get`, under the name `createHealthService` asks for. */
  check(service: string): ServingStatus;
  /** Every known service and its status. */
  list(): [string, KnownServingStatus][];
  /** Call `listener` on every change; returns the function that unsubscribes it. */
  onChange(listener: (service: string, status: ServingStatus) => void): () => void;
}

/**
 * A health status registry. `initial` defaults to `{ "": "SERVING" }`: the
 * server as a whole is serving and no service is registered by name.
 */
export function createHealthStatus(
  initial: Readonly<Record<string, KnownServingStatus>> = { "": "SERVING" },
): HealthStatus {
  const statuses = new Map<string, KnownServingStatus>(Object.entries(initial));
  const listeners = new Set<(service: string, status: ServingStatus) => void>();
  const emit = (service: string, status: ServingStatus): void => {
    for (const l of [...listeners]) l(service, status);
  };
  const get = (service: string): ServingStatus => statuses.get(service) ?? "SERVICE_UNKNOWN";
  const set = (service: string, status: KnownServingStatus): void => {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    emit(service, status);
  };
  return {
    set,
    remove(service) {
      if (statuses.delete(service)) emit(service, "SERVICE_UNKNOWN");
    },
    setAll(status) {
      for (const service of new Set(["", ...statuses.keys()])) set(service, status);
    },
    get,
    check: get,
    list: () => [...statuses],
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
