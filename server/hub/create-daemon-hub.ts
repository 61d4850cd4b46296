import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { type DaemonCommand, DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { Acknowledgement, Store } from "../store/store.js";
import type { Backplane, DaemonInfo } from "./backplane.js";
import { type AsyncQueue, createAsyncQueue } from "./create-async-queue.js";
import { createLocalBackplane } from "./create-local-backplane.js";
import { createTakeoverCheck, type StreamHolder } from "./create-takeover-check.js";

export type { DaemonInfo } from "./backplane.js";
export { instanceFingerprint, instanceHash, type StreamHolder } from "./create-takeover-check.js";

/** What a daemon answered to one command. */
export type DaemonAck = Acknowledgement;


export interface DaemonHubOptions {
  /** Where commands pushed from another replica, and acknowledgements recorded there, are read. */
  store: Store;
  /** How replicas tell each other about streams, commands and acks. Default: one process (`createLocalBackplane`). */
  backplane?: Backplane;
  /** Interval of pings on idle command streams, so proxies keep them open: one schedule for all streams. Default 15 000 ms. */
  pingIntervalMs?: number;
  /** Called when a machine's stream opens. */
  onOnline?: (machineId: string, info: DaemonInfo) => void;
  /** Called when a machine goes offline: its stream closed and no newer one replaced it, or its holder's lease expired. */
  onOffline?: (machineId: string) => void;
  /** Told about failures in the background (a command another replica routed here that could not be read). */
  log?: (message: string, error?: unknown) => void;
  /** Clock, in Unix milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * The daemon hub: which machines have a daemon connected, their command
 * streams, and the commands waiting for an acknowledgement. A machine is
 * online exactly while its stream is open (on this replica or, through the
 * backplane, another); a second subscription for the same machine replaces
 * the first, once `checkTakeover` let it in. A daemon that subscribes gets
 * its unacknowledged commands again (the daemon runs each command id at most
 * once). Each ping round also probes every stream's connection and closes
 * the streams whose connection does not answer (half-dead ones).
 */
export interface DaemonHub {
  /** Opens the command stream of a machine; it ends when `signal` aborts or a newer subscription replaces it. */
  subscribe(machineId: string, info: DaemonInfo, signal: AbortSignal, holder?: StreamHolder): AsyncIterable<DaemonCommand>;
  /**
   * Whether `claimant` may take `machineId`'s stream. It may when no stream is
   * open (here, or on another replica for another `instanceHash`), when it is
   * the holder's own instance (a reconnect: the newer stream replaces the
   * older), when either side has no instance id, or when the holder's
   * connection here fails its probe (a half-dead stream, closed so the
   * claimant takes over). Otherwise rejects with `already_exists`, never
   * naming the holder's id. Refusals and takeovers are logged with instance
   * fingerprints only.
   */
  checkTakeover(machineId: string, claimant: StreamHolder & { hostname: string }): Promise<void>;
  isOnline(machineId: string): Promise<boolean>;
  /** Of `machineIds`, the online ones with what their daemon said. */
  presence(machineIds: readonly string[]): Promise<Map<string, DaemonInfo>>;
  /** Pushes a recorded command to its machine's stream, wherever it is; false when the machine is offline. */
  send(machineId: string, command: DaemonCommand): Promise<boolean>;
  /** Resolves with the command's acknowledgement, or rejects with the signal's reason. */
  waitForAck(commandId: string, signal: AbortSignal): Promise<DaemonAck>;
  /** Hands a recorded acknowledgement to whoever waits for it, on this replica or another. */
  deliverAck(commandId: string, ack: DaemonAck): Promise<void>;
  /**
   * Rejects the wait for `commandId` on this replica with `error`: an
   * acknowledgement came but the store could not record it, so the launch
   * answers at once instead of waiting out its deadline. Only this replica:
   * a store that cannot record cannot tell the others either.
   */
  failAck(commandId: string, error: Error): void;
  /**
   * Ends every stream and stops the ping schedule. With `offline: false` (a
   * server shutting down) machines are not reported offline: their daemons
   * come back, here or on another replica. Default `offline: true`.
   */
  close(options?: { offline?: boolean }): void;
}

interface Connection {
  queue: AsyncQueue<DaemonCommand>;
  info: DaemonInfo;
  holder: StreamHolder | undefined;
  /** Commands pushed on this stream whose waiter is here and not answered yet. */
  inFlight: Set<string>;
}

interface Waiter {
  resolve(ack: DaemonAck): void;
  reject(reason: unknown): void;
  /** The stream the command went down, once pushed here. */
  conn?: Connection;
}

export function createDaemonHub(options: DaemonHubOptions): DaemonHub {
  const { store } = options;
  const backplane = options.backplane ?? createLocalBackplane();
  const now = options.now ?? Date.now;
  const log = options.log ?? ((message, error) => console.error(message, error ?? ""));
  const connections = new Map<string, Connection>();
  const waiters = new Map<string, Waiter>();
  /** Set when closing for a shutdown: streams end without taking their machines offline. */
  let quiet = false;

  // One ping schedule for every stream, not a timer per stream. A stream whose
  // connection does not answer its probe (a half-dead one) is closed, so its
  // machine goes offline and its lease lapses for other replicas.
  const takeover = createTakeoverCheck({ connections, backplane, log });
  const probing = new Set<Connection>();
  const ping = setInterval(() => {
    if (connections.size === 0) return;
    const command = create(DaemonCommandSchema, { kind: { case: "ping", value: { time: timestampNow() } } });
    for (const [machineId, conn] of connections) {
      conn.queue.push(command);
      const probe = conn.holder?.probe;
      if (probe === undefined || probing.has(conn)) continue;
      probing.add(conn);
      probe()
        .then((alive) => {
          if (alive || conn.queue.closed) return;
          log(`machine ${machineId}: the daemon's connection did not answer a ping; closing its command stream`);
          conn.queue.close();
        })
        .catch(() => undefined)
        .finally(() => probing.delete(conn));
    }
  }, options.pingIntervalMs ?? 15_000);
  ping.unref();

  /** Resolves the waiter of `commandId` with its acknowledgement, if the store has one. */
  function readAck(commandId: string): void {
    const waiter = waiters.get(commandId);
    if (waiter === undefined) return;
    store
      .getCommand(commandId)
      .then((stored) => {
        if (stored?.ackPayload !== undefined) waiter.resolve({ status: stored.ackStatus, payload: stored.ackPayload });
      })
      .catch((error: unknown) => log(`reading the acknowledgement of command ${commandId} failed`, error));
  }

  backplane.on({
    command(machineId, commandId) {
      const conn = connections.get(machineId);
      if (conn === undefined) return;
      store
        .getCommand(commandId)
        .then((stored) => {
          if (stored && stored.ackStatus === "") conn.queue.push(stored.command);
        })
        .catch((error: unknown) => log(`pushing command ${commandId} routed to machine ${machineId} failed`, error));
    },
    ack: readAck,
    resync() {
      for (const commandId of waiters.keys()) readAck(commandId);
    },
    lost(machineId) {
      connections.get(machineId)?.queue.close();
    },
    expired(machineId) {
      if (!connections.has(machineId)) options.onOffline?.(machineId);
    },
  });
  const started = backplane.start();
  started.catch((error: unknown) => log("starting the backplane failed", error));

  return {
    checkTakeover: takeover,

    async *subscribe(machineId, info, signal, holder) {
      // Registered when the stream is first read, so a stream that is never
      // read leaves no machine online by mistake.
      connections.get(machineId)?.queue.close();
      const queue = createAsyncQueue<DaemonCommand>(signal);
      const replaced = connections.get(machineId);
      // A daemon that re-subscribes gets what was in flight again (below): its waiters stay.
      const conn: Connection = { queue, info, holder, inFlight: replaced?.inFlight ?? new Set() };
      for (const commandId of conn.inFlight) {
        const waiter = waiters.get(commandId);
        if (waiter) waiter.conn = conn;
      }
      connections.set(machineId, conn);
      let held = false;
      try {
        await started;
        await backplane.hold(machineId, info);
        held = true;
        options.onOnline?.(machineId, info);
        for (const pending of await store.listPendingCommands(machineId, now())) {
          queue.push(pending.command);
          const waiter = waiters.get(pending.commandId);
          if (waiter) {
            waiter.conn = conn;
            conn.inFlight.add(pending.commandId);
          }
        }
        yield* queue;
      } finally {
        queue.close();
        if (connections.get(machineId) === conn) {
          connections.delete(machineId);
          // No blind waits: a launch whose command went down a stream that is gone fails now.
          const gone = new ConnectError(`machine ${machineId}'s daemon disconnected before acknowledging`, Code.Unavailable);
          for (const commandId of conn.inFlight) waiters.get(commandId)?.reject(gone);
          if (held && (await backplane.release(machineId)) && !quiet) options.onOffline?.(machineId);
        }
      }
    },

    async isOnline(machineId) {
      if (connections.has(machineId)) return true;
      return (await backplane.online([machineId])).has(machineId);
    },

    async presence(machineIds) {
      const remote = machineIds.some((id) => !connections.has(id)) ? await backplane.online(machineIds) : new Map<string, DaemonInfo>();
      const out = new Map<string, DaemonInfo>();
      for (const id of machineIds) {
        const info = connections.get(id)?.info ?? remote.get(id);
        if (info !== undefined) out.set(id, info);
      }
      return out;
    },

    async send(machineId, command) {
      const conn = connections.get(machineId);
      if (conn !== undefined && !conn.queue.closed) {
        conn.queue.push(command);
        const waiter = waiters.get(command.commandId);
        if (waiter) {
          waiter.conn = conn;
          conn.inFlight.add(command.commandId);
        }
        return true;
      }
      if (!(await backplane.online([machineId])).has(machineId)) return false;
      await backplane.route(machineId, command.commandId);
      return true;
    },

    waitForAck(commandId, signal) {
      return new Promise<DaemonAck>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const settle = () => {
          signal.removeEventListener("abort", onAbort);
          waiter.conn?.inFlight.delete(commandId);
          waiters.delete(commandId);
        };
        const waiter: Waiter = {
          resolve(ack) {
            settle();
            resolve(ack);
          },
          reject(reason) {
            settle();
            reject(reason);
          },
        };
        const onAbort = () => waiter.reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        waiters.set(commandId, waiter);
      });
    },

    async deliverAck(commandId, ack) {
      const waiter = waiters.get(commandId);
      if (waiter !== undefined) waiter.resolve(ack);
      else await backplane.acked(commandId);
    },

    failAck(commandId, error) {
      waiters.get(commandId)?.reject(error);
    },

    close(closeOptions = {}) {
      quiet = closeOptions.offline === false;
      clearInterval(ping);
      for (const conn of connections.values()) conn.queue.close();
    },
  };
}
