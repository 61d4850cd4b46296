import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Backplane, BackplaneHandlers, DaemonInfo } from "../backplane.js";
import { createNotificationListener } from "../../store/postgres/create-notification-listener.js";
import { ensurePresenceSchema } from "./ensure-presence-schema.js";

export interface PostgresBackplaneOptions {
  /** How to reach the database the store uses (`connectionString`, `options` for a `search_path`, …). */
  connection: pg.ClientConfig;
  /**
   * Prefix of the LISTEN/NOTIFY channels, so several deployments (or test
   * schemas) can share a database. Default `"wsctl"`.
   */
  channelPrefix?: string;
  /**
   * How long a replica's hold on a machine's stream lasts without renewal; it
   * renews every third of it, so a replica that dies loses its machines
   * within this time. Default 6 000 ms.
   */
  leaseMs?: number;
  /** Connections for leases and notifications (the listener has one more of its own). Default 2. */
  poolSize?: number;
  /** Identifies this replica. Default a random id. */
  replicaId?: string;
  /** Where background failures are reported (a lost listener, a renewal that failed). Default: stderr. */
  log?: (message: string, error?: unknown) => void;
}

/**
 * The backplane on PostgreSQL itself, no other broker. Which replica holds a
 * machine's stream is a lease row (`wsctl_machine_presence`), taken by the
 * replica the daemon subscribed to and renewed while the stream is open; a
 * replica that dies stops renewing and the others sweep its leases. Commands,
 * acknowledgements and events are rows of the store; `NOTIFY` only says which
 * to read, and every replica `LISTEN`s: the one holding a machine's stream
 * pushes its commands, the one whose caller waits reads the acknowledgement,
 * the ones with followers read the session's new events. After the listener
 * reconnects, every replica re-reads what it waits for (`resync`), so a
 * notification lost meanwhile delays nothing for long.
 */
export function createPostgresBackplane(options: PostgresBackplaneOptions): Backplane {
  const replicaId = options.replicaId ?? randomUUID().slice(0, 8);
  const leaseMs = options.leaseMs ?? 6_000;
  const prefix = options.channelPrefix ?? "wsctl";
  const log = options.log ?? ((message, error) => console.error(message, error ?? ""));
  const channels = { command: `${prefix}_command`, ack: `${prefix}_ack`, event: `${prefix}_event`, presence: `${prefix}_presence` };
  const pool = new pg.Pool({ ...options.connection, max: options.poolSize ?? 2 });
  pool.on("error", (error) => log("backplane: an idle database connection failed", error));
  const handlers: Partial<BackplaneHandlers>[] = [];
  const held = new Set<string>();
  const emit = <K extends keyof BackplaneHandlers>(kind: K, ...args: Parameters<BackplaneHandlers[K]>) => {
    for (const h of handlers) (h[kind] as ((...a: Parameters<BackplaneHandlers[K]>) => void) | undefined)?.(...args);
  };
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const listener = createNotificationListener({
    connection: options.connection,
    channels: Object.values(channels),
    log,
    onNotification(channel, payload) {
      const [a = "", b = ""] = payload.split(" ");
      if (channel === channels.command) emit("command", a, b);
      else if (channel === channels.ack) emit("ack", a);
      else if (channel === channels.event) emit("event", a, Number(b));
      else if (channel === channels.presence && held.has(a) && b !== replicaId) void checkHolder(a);
    },
    onReconnect() {
      emit("resync");
    },
  });

  async function notify(channel: string, payload: string): Promise<void> {
    await pool.query("SELECT pg_notify($1, $2)", [channel, payload]);
  }

  /** Another replica announced it took `machineId`: give it up here unless the lease is still ours. */
  async function checkHolder(machineId: string): Promise<void> {
    try {
      const { rows } = await pool.query<{ replica_id: string }>("SELECT replica_id FROM wsctl_machine_presence WHERE machine_id = $1", [machineId]);
      if (rows[0]?.replica_id === replicaId || !held.delete(machineId)) return;
      emit("lost", machineId);
    } catch (error) {
      log(`backplane: checking who holds machine ${machineId} failed`, error);
    }
  }

  /** Renews this replica's leases, gives up those it lost, and sweeps leases of replicas that died. */
  async function tick(): Promise<void> {
    const renewed = await pool.query<{ machine_id: string }>(
      "UPDATE wsctl_machine_presence SET expires_at = clock_timestamp() + make_interval(secs => $2 / 1000.0) WHERE replica_id = $1 RETURNING machine_id",
      [replicaId, leaseMs],
    );
    const still = new Set(renewed.rows.map((r) => r.machine_id));
    for (const machineId of [...held]) {
      if (still.has(machineId)) continue;
      held.delete(machineId);
      emit("lost", machineId);
    }
    const swept = await pool.query<{ machine_id: string }>(
      "DELETE FROM wsctl_machine_presence WHERE expires_at < clock_timestamp() RETURNING machine_id",
    );
    for (const row of swept.rows) emit("expired", row.machine_id);
  }

  let started: Promise<void> | undefined;
  return {
    replicaId,
    on(h) {
      handlers.push(h);
    },
    start() {
      started ??= (async () => {
        await ensurePresenceSchema(pool);
        await listener.start();
        timer = setInterval(() => {
          tick().catch((error: unknown) => log("backplane: renewing leases failed", error));
        }, Math.max(50, Math.floor(leaseMs / 3)));
        timer.unref();
      })();
      return started;
    },
    async hold(machineId, info) {
      await pool.query(
        "INSERT INTO wsctl_machine_presence (machine_id, replica_id, info, expires_at) " +
          "VALUES ($1, $2, $3, clock_timestamp() + make_interval(secs => $4 / 1000.0)) " +
          "ON CONFLICT (machine_id) DO UPDATE SET replica_id = EXCLUDED.replica_id, info = EXCLUDED.info, expires_at = EXCLUDED.expires_at",
        [machineId, replicaId, info, leaseMs],
      );
      held.add(machineId);
      await notify(channels.presence, `${machineId} ${replicaId}`);
    },
    async release(machineId) {
      held.delete(machineId);
      const { rowCount } = await pool.query("DELETE FROM wsctl_machine_presence WHERE machine_id = $1 AND replica_id = $2", [machineId, replicaId]);
      return (rowCount ?? 0) > 0;
    },
    async online(machineIds) {
      if (machineIds.length === 0) return new Map();
      const { rows } = await pool.query<{ machine_id: string; info: DaemonInfo }>(
        "SELECT machine_id, info FROM wsctl_machine_presence WHERE machine_id = ANY($1) AND replica_id <> $2 AND expires_at > clock_timestamp()",
        [machineIds, replicaId],
      );
      return new Map(rows.map((r) => [r.machine_id, r.info]));
    },
    async route(machineId, commandId) {
      await notify(channels.command, `${machineId} ${commandId}`);
    },
    async acked(commandId) {
      await notify(channels.ack, commandId);
    },
    async appended(sessionId, sequence) {
      await notify(channels.event, `${sessionId} ${sequence}`);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await listener.close();
      try {
        await pool.query("DELETE FROM wsctl_machine_presence WHERE replica_id = $1", [replicaId]);
      } catch (error) {
        log("backplane: giving up leases at close failed (they expire on their own)", error);
      }
      held.clear();
      await pool.end();
    },
  };
}
