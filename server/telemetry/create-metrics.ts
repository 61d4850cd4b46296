import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The server's Prometheus metrics, in one registry of its own (not prom-client's global one). */
export interface Metrics {
  registry: Registry;
  /** Calls by method (`Service/Method`), protocol (grpc, grpc-web, connect, rest) and Connect code name. */
  rpcs: Counter<"method" | "protocol" | "code">;
  /** Call latency in seconds (a stream's whole life), same labels. */
  rpcSeconds: Histogram<"method" | "protocol" | "code">;
  /** Server streams open now, by kind (the method's name: Subscribe, WatchWorkspaceSession, …). */
  openStreams: Gauge<"kind">;
  /** Launch commands by result (ok, error, no_ack, offline) and the daemon's error code ("" when none). */
  launches: Counter<"result" | "error_code">;
  /** From pushing a launch to its daemon to the daemon's acknowledgement, in seconds. */
  launchAckSeconds: Histogram;
  /** Machines whose daemon has a command stream open to this server. */
  machinesOnline: Gauge;
  /** Subscriptions of a machine that had subscribed to this server before. */
  daemonReconnects: Counter;
  /** Store calls by operation (the Store method) and outcome (ok, error). */
  storeSeconds: Histogram<"operation" | "outcome">;
  /** Counts and times one finished call: `rpcs` and `rpcSeconds`, through cached label children. */
  observeRpc(method: string, protocol: string, code: string, seconds: number): void;
  /** Times one store call: `storeSeconds`, through cached label children. */
  observeStore(operation: string, outcome: string, seconds: number): void;
  /** Stops the default collectors' timers. */
  close(): void;
}

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const storeBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * Creates the metrics, prefixed `wsctl_`, with prom-client's default process
 * metrics (event-loop lag, resident and heap memory, CPU, handles, GC) beside them.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  // prom-client hashes a label object on every call; a child per label set, looked up by one string, does not.
  const rpcChildren = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  const storeChildren = new Map<string, { observe(v: number): void }>();
  const metrics: Metrics = {
    registry,
    observeRpc(method, protocol, code, seconds) {
      const key = `${method} ${protocol} ${code}`;
      let child = rpcChildren.get(key);
      if (child === undefined) {
        child = { count: metrics.rpcs.labels(method, protocol, code), time: metrics.rpcSeconds.labels(method, protocol, code) };
        rpcChildren.set(key, child);
      }
      child.count.inc();
      child.time.observe(seconds);
    },
    observeStore(operation, outcome, seconds) {
      const key = `${operation} ${outcome}`;
      let child = storeChildren.get(key);
      if (child === undefined) {
        child = metrics.storeSeconds.labels(operation, outcome);
        storeChildren.set(key, child);
      }
      child.observe(seconds);
    },
    rpcs: new Counter({ name: "wsctl_rpc_requests_total", help: "RPCs handled, by method, protocol and code.", labelNames: ["method", "protocol", "code"], registers }),
    rpcSeconds: new Histogram({
      name: "wsctl_rpc_duration_seconds",
      help: "RPC latency (a stream's whole life), by method, protocol and code.",
      labelNames: ["method", "protocol", "code"],
      buckets: latencyBuckets,
      registers,
    }),
    openStreams: new Gauge({ name: "wsctl_open_streams", help: "Server streams open now, by kind.", labelNames: ["kind"], registers }),
    launches: new Counter({
      name: "wsctl_launches_total",
      help: "Launch commands by result (ok, error, no_ack, offline) and the daemon's error code.",
      labelNames: ["result", "error_code"],
      registers,
    }),
    launchAckSeconds: new Histogram({
      name: "wsctl_launch_ack_seconds",
      help: "From pushing a launch to its daemon to the daemon's acknowledgement.",
      buckets: latencyBuckets,
      registers,
    }),
    machinesOnline: new Gauge({ name: "wsctl_machines_online", help: "Machines with a daemon stream open to this server.", registers }),
    daemonReconnects: new Counter({
      name: "wsctl_daemon_reconnects_total",
      help: "Subscriptions of a machine that had subscribed to this server before.",
      registers,
    }),
    storeSeconds: new Histogram({
      name: "wsctl_store_duration_seconds",
      help: "Store call latency by operation and outcome.",
      labelNames: ["operation", "outcome"],
      buckets: storeBuckets,
      registers,
    }),
    close() {
      registry.clear();
    },
  };
  return metrics;
}
