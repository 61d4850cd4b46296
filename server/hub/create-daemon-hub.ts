import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { type DaemonCommand, DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { Acknowledgement } from "../store/store.js";
import { createAsyncQueue, type AsyncQueue } from "./create-async-queue.js";

/** What a daemon answered to one command. */
export type DaemonAck = Acknowledgement;

/** What a daemon said about itself when it subscribed. */
export interface DaemonInfo {
  daemonVersion: string;
  hostname: string;
}

export interface DaemonHubOptions {
  /** Interval of pings on an idle command stream, so proxies keep it open. Default 15 000 ms. */
  pingIntervalMs?: number;
  /** Called when a machine's stream opens. */
  onOnline?: (machineId: string, info: DaemonInfo) => void;
  /** Called when a machine's stream closes and no newer one replaced it. */
  onOffline?: (machineId: string) => void;
}

/**
 * The daemon hub: which machines have a daemon connected, their command
 * streams, and the launches waiting for an acknowledgement. A machine is online
 * exactly while its stream is open; a second subscription for the same machine
 * replaces the first.
 */
export interface DaemonHub {
  /** Opens the command stream of a machine; it ends when `signal` aborts or a newer subscription replaces it. */
  subscribe(machineId: string, info: DaemonInfo, signal: AbortSignal): AsyncIterable<DaemonCommand>;
  isOnline(machineId: string): boolean;
  /** Daemon info of an online machine. */
  info(machineId: string): DaemonInfo | undefined;
  /** Pushes a command; false when the machine is offline. */
  send(machineId: string, command: DaemonCommand): boolean;
  /** Resolves with the command's acknowledgement, or rejects with the signal's reason. */
  waitForAck(commandId: string, signal: AbortSignal): Promise<DaemonAck>;
  /** Hands an acknowledgement to whoever waits for it; false when nobody does. */
  deliverAck(commandId: string, ack: DaemonAck): boolean;
  /** Ends every stream. */
  close(): void;
}

interface Connection {
  queue: AsyncQueue<DaemonCommand>;
  info: DaemonInfo;
}

export function createDaemonHub(options: DaemonHubOptions = {}): DaemonHub {
  const pingIntervalMs = options.pingIntervalMs ?? 15_000;
  const connections = new Map<string, Connection>();
  const waiters = new Map<string, (ack: DaemonAck) => void>();

  return {
    async *subscribe(machineId, info, signal) {
      // Registered when the stream is first read, so a stream that is never
      // read leaves no machine online by mistake.
      connections.get(machineId)?.queue.close();
      const queue = createAsyncQueue<DaemonCommand>(signal);
      const conn: Connection = { queue, info };
      connections.set(machineId, conn);
      const ping = setInterval(() => {
        queue.push(create(DaemonCommandSchema, { kind: { case: "ping", value: { time: timestampNow() } } }));
      }, pingIntervalMs);
      ping.unref();
      try {
        options.onOnline?.(machineId, info);
        yield* queue;
      } finally {
        clearInterval(ping);
        queue.close();
        if (connections.get(machineId) === conn) {
          connections.delete(machineId);
          options.onOffline?.(machineId);
        }
      }
    },
    isOnline(machineId) {
      return connections.has(machineId);
    },
    info(machineId) {
      return connections.get(machineId)?.info;
    },
    send(machineId, command) {
      const conn = connections.get(machineId);
      if (!conn || conn.queue.closed) return false;
      conn.queue.push(command);
      return true;
    },
    waitForAck(commandId, signal) {
      return new Promise<DaemonAck>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const onAbort = () => {
          waiters.delete(commandId);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiters.set(commandId, (ack) => {
          signal.removeEventListener("abort", onAbort);
          waiters.delete(commandId);
          resolve(ack);
        });
      });
    },
    deliverAck(commandId, ack) {
      const waiter = waiters.get(commandId);
      if (!waiter) return false;
      waiter(ack);
      return true;
    },
    close() {
      for (const conn of connections.values()) conn.queue.close();
    },
  };
}
