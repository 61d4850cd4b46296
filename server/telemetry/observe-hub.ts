import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import type { Metrics } from "./create-metrics.js";
import { traceCarrier } from "./start-tracing.js";

const tracer = trace.getTracer("wsctl");

/**
 * The daemon hub, observed: each pushed command carries the trace context of
 * the span that sent it (`DaemonCommand.trace_context`, when tracing is on)
 * and gets a `hub.push` span; launches are counted by result
 * and error code, their push-to-acknowledgement time measured; machines
 * online, and subscriptions of machines seen before (reconnects), are tracked.
 * Every command stream starts with a ping, so a daemon knows at once it is open.
 * Behaves as `hub` in every other way.
 */
export function observeHub(hub: DaemonHub, metrics: Metrics | undefined): DaemonHub {
  const launches = new Map<string, number>();
  const streams = new Map<string, number>();
  const seen = new Set<string>();
  const online = () => metrics?.machinesOnline.set([...streams.values()].filter((n) => n > 0).length);
  const settle = (commandId: string, result: string, errorCode: string): void => {
    const sentAt = launches.get(commandId);
    if (sentAt === undefined) return;
    launches.delete(commandId);
    metrics?.launches.inc({ result, error_code: errorCode });
    if (result === "ok" || result === "error") metrics?.launchAckSeconds.observe((performance.now() - sentAt) / 1000);
  };

  return {
    ...hub,
    // Every argument is handed on as given: the hub's signature grows (holder, …).
    async *subscribe(...args: Parameters<DaemonHub["subscribe"]>) {
      const [machineId] = args;
      if (seen.has(machineId)) metrics?.daemonReconnects.inc();
      seen.add(machineId);
      streams.set(machineId, (streams.get(machineId) ?? 0) + 1);
      online();
      try {
        // A first ping at once: a daemon sees no event for the response
        // headers, so without it it cannot tell an open stream from a slow one.
        yield create(DaemonCommandSchema, { kind: { case: "ping", value: { time: timestampNow() } } });
        yield* hub.subscribe(...args);
      } finally {
        const left = (streams.get(machineId) ?? 1) - 1;
        if (left > 0) streams.set(machineId, left);
        else streams.delete(machineId);
        online();
      }
    },
    async send(machineId, command) {
      const kind = command.kind.case ?? "unknown";
      const span = tracer.startSpan("hub.push", { kind: SpanKind.PRODUCER, attributes: { "command.kind": kind, "machine.id": machineId } });
      command.traceContext = traceCarrier(trace.setSpan(context.active(), span));
      // Timed from before the push: the acknowledgement may come before it resolves.
      if (kind === "launch") launches.set(command.commandId, performance.now());
      try {
        const sent = await hub.send(machineId, command);
        span.setAttribute("command.sent", sent);
        if (kind === "launch" && !sent) {
          launches.delete(command.commandId);
          metrics?.launches.inc({ result: "offline", error_code: "unavailable" });
        }
        return sent;
      } finally {
        span.end();
      }
    },
    // Settled where the launch waits (with replicas, the acknowledgement may arrive at another one).
    waitForAck(commandId, signal) {
      return hub.waitForAck(commandId, signal).then(
        (ack) => {
          const error = ack.payload.error as { code?: unknown } | undefined;
          settle(commandId, ack.status === "ok" ? "ok" : "error", typeof error?.code === "string" ? error.code : "");
          return ack;
        },
        (error: unknown) => {
          settle(commandId, "no_ack", "");
          throw error;
        },
      );
    },
  };
}
