import { Code, ConnectError } from "@connectrpc/connect";
import type { Store } from "../store/store.js";
import type { HealthStatus } from "./create-health-status.js";

/** What `/readyz` reports. */
export interface ReadinessReport {
  ready: boolean;
  checks: {
    /** "ok", or why a harmless write failed (read-only file, disk full, database gone). */
    store: string;
    /** "done" once the store's migrations ran (before the app was built). */
    migrations: "done" | "pending";
    /** "no" until the server starts shutting down. */
    shutting_down: "no" | "yes";
  };
}

export interface ReadinessOptions {
  store: Store;
  /** gRPC health follows readiness: every service SERVING while ready, NOT_SERVING otherwise. */
  health: HealthStatus;
  /** Whether the store's migrations ran. Default: yes (`openStore` migrates before it returns). */
  migrated?: () => boolean;
  /** A check answers from the last one for this long. Default 1 000 ms. */
  cacheMs?: number;
  /** A store probe slower than this fails. Default 2 000 ms. */
  probeTimeoutMs?: number;
  /** Checks on its own this often, so gRPC health follows without a /readyz caller. Default 5 000 ms; 0 = never. */
  intervalMs?: number;
}

export interface Readiness {
  /** Runs the checks (or returns the last result, if recent) and updates gRPC health. */
  check(): Promise<ReadinessReport>;
  /** From now on not ready, for good: the server is shutting down. Stops the periodic check. */
  shutDown(): void;
}

/**
 * Readiness of the server: the store takes a write, its migrations ran, and
 * it is not shutting down. The write is `store.checkWritable()`, a harmless
 * one that still goes to disk (SQLite rewrites its header, PostgreSQL commits
 * a transaction id), so a full disk, a read-only file, a database file
 * deleted or replaced, or a lost connection report unready with the store's
 * reason ("database unavailable: disk full"). Readiness follows the store:
 * ready again at the first check whose write succeeds (a full disk freed, a
 * PostgreSQL back); a deleted or replaced SQLite file never succeeds again,
 * so that server stays unready until it is restarted.
 */
export function createReadiness(options: ReadinessOptions): Readiness {
  const { store, health } = options;
  const cacheMs = options.cacheMs ?? 1_000;
  const probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
  let closing = false;
  let last: { at: number; report: Promise<ReadinessReport> } | undefined;

  async function run(): Promise<ReadinessReport> {
    let storeCheck = "ok";
    try {
      await Promise.race([
        store.checkWritable(),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${probeTimeoutMs} ms`)), probeTimeoutMs).unref()),
      ]);
    } catch (error) {
      storeCheck = describe(error);
    }
    const migrations = (options.migrated?.() ?? true) ? "done" : "pending";
    const report: ReadinessReport = {
      ready: storeCheck === "ok" && migrations === "done" && !closing,
      checks: { store: storeCheck, migrations, shutting_down: closing ? "yes" : "no" },
    };
    if (!closing) health.setAll(report.ready ? "SERVING" : "NOT_SERVING");
    return report;
  }

  function check(): Promise<ReadinessReport> {
    const now = Date.now();
    if (last === undefined || now - last.at >= cacheMs || closing) last = { at: now, report: run() };
    return last.report;
  }
  const intervalMs = options.intervalMs ?? 5_000;
  const timer = intervalMs > 0 ? setInterval(() => void check(), intervalMs) : undefined;
  timer?.unref();
  return {
    check,
    shutDown() {
      closing = true;
      clearInterval(timer);
      health.setAll("NOT_SERVING");
    },
  };
}

function describe(error: unknown): string {
  // A store fault says why in the store's words ("database unavailable: disk full").
  if (error instanceof ConnectError && error.code === Code.Unavailable) return error.rawMessage;
  const seen = new Set<unknown>();
  let e: unknown = error;
  let text = "";
  // Otherwise the innermost cause says most ("The database connection is not open").
  while (e instanceof Error && !seen.has(e)) {
    seen.add(e);
    text = e instanceof ConnectError ? e.rawMessage : e.message;
    e = e.cause;
  }
  return text || String(error);
}
