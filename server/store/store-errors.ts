import { Code, ConnectError } from "@connectrpc/connect";

/**
 * The errors a store call ends with, whatever the engine: each engine's
 * adapter (`sqlite/sqlite-errors.ts`, `postgres/postgres-errors.ts`) decides
 * which one an engine error is, and this file words them, so both engines
 * say the same thing. `noun` names the record the call was about
 * ("workspace", "session event"); messages never carry SQL, paths, hosts or
 * secrets. The engine's error is kept as `cause` for logs.
 */
export const storeErrors = {
  /** A unique or primary key clash. */
  alreadyExists: (noun: string, cause: unknown) =>
    new ConnectError(`${noun} already exists`, Code.AlreadyExists, undefined, undefined, cause),
  /** A missing parent row (foreign key). */
  missingReference: (noun: string, cause: unknown) =>
    new ConnectError(`${noun} refers to a record that does not exist`, Code.FailedPrecondition, undefined, undefined, cause),
  /** Locked, busy, or clashing with a concurrent transaction: worth trying again. */
  busy: (cause: unknown) => new ConnectError("database is busy, try again", Code.Unavailable, undefined, undefined, cause),
  /** The database cannot be reached, or the connection was lost. */
  unreachable: (cause: unknown) =>
    new ConnectError("database is unavailable, try again", Code.Unavailable, undefined, undefined, cause),
  /**
   * The store cannot record anything now: the disk is full, the file was
   * deleted or replaced, an I/O error. `reason` says which, in words an
   * operator acts on ("disk full", "database file deleted: restart the
   * server"); it is what `/readyz` reports. Never a path.
   */
  fault: (reason: string, cause?: unknown) =>
    new ConnectError(`database unavailable: ${reason}`, Code.Unavailable, undefined, undefined, cause),
  /** The request was canceled. */
  canceled: (cause?: unknown) => new ConnectError("request canceled", Code.Canceled, undefined, undefined, cause),
  /** Anything else. */
  internal: (noun: string, cause: unknown) =>
    new ConnectError(`database error (${noun})`, Code.Internal, undefined, undefined, cause),
};

/** Rejects a call whose request was already canceled: `canceled`. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw storeErrors.canceled();
}
