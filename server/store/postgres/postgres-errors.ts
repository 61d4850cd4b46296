import { ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { storeErrors } from "../store-errors.js";

/**
 * The one adapter from PostgreSQL (and `pg` driver) errors to ConnectError,
 * worded by `store-errors.ts` as the SQLite adapter's are. `noun` names the
 * record the call was about ("workspace", "session event"), so the message
 * says what clashed without SQL, table internals, host names or credentials.
 * The original error is kept as `cause` for logs.
 *
 * - unique violation (23505): `already_exists` ("workspace already exists")
 * - foreign key violation (23503): `failed_precondition`
 * - serialization failure (40001), deadlock (40P01): `unavailable` — the store
 *   retries these itself first (`isRetryablePostgresError`), so the caller only
 *   sees them when every attempt clashed
 * - query canceled (57014): `canceled` (the store cancels a query whose
 *   request was aborted)
 * - connection errors (refused, reset, timed out, "Connection terminated", a
 *   server shutting down 57P01–57P03, class 08, too many connections 53300):
 *   `unavailable`
 * - the server cannot record: disk full (53100), out of memory (53200), a
 *   read-only server (25006): `unavailable` with the reason (`storeErrors.fault`)
 * - anything else: `internal`
 *
 * A ConnectError passes through unchanged.
 */
export function postgresError(err: unknown, noun: string): ConnectError {
  if (err instanceof ConnectError) return err;
  const sqlState = err instanceof pg.DatabaseError ? err.code : undefined;
  if (sqlState === "23505") return storeErrors.alreadyExists(noun, err);
  if (sqlState === "23503") return storeErrors.missingReference(noun, err);
  if (sqlState === "57014") return storeErrors.canceled(err);
  const fault = sqlState === undefined ? undefined : faultReasons[sqlState];
  if (fault !== undefined) return storeErrors.fault(fault, err);
  if (isRetryablePostgresError(err)) return storeErrors.busy(err);
  if (isConnectionError(err)) return storeErrors.unreachable(err);
  return storeErrors.internal(noun, err);
}

/** A serialization failure or deadlock: the transaction was rolled back and may simply run again. */
export function isRetryablePostgresError(err: unknown): boolean {
  if (!(err instanceof pg.DatabaseError)) return false;
  return err.code === "40001" || err.code === "40P01";
}

/** Node socket error codes that mean the server cannot be reached or the connection was lost. */
const socketCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENOENT", // a Unix socket path that does not exist
]);

/** SQLSTATEs of a server that cannot record anything now, and why. */
const faultReasons: Partial<Record<string, string>> = {
  "53100": "disk full",
  "53200": "database server out of memory",
  "25006": "database is read-only",
};

/** SQLSTATEs of a server that is going away or refusing connections. */
const unavailableStates = new Set(["57P01", "57P02", "57P03", "53300"]);

/** Whether `err` says the database cannot be reached or the connection broke (so the client is unusable). */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) {
    const state = err.code ?? "";
    return state.startsWith("08") || unavailableStates.has(state);
  }
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && socketCodes.has(code)) return true;
  // Node's happy-eyeballs connect reports every failed address in one AggregateError.
  if (err instanceof AggregateError && err.errors.some(isConnectionError)) return true;
  // pg's own messages: "Connection terminated unexpectedly", "Connection terminated
  // due to connection timeout", and pg-pool's "timeout exceeded when trying to connect".
  return /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
    err.message,
  );
}
