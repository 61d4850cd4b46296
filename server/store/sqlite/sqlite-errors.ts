import { Code, ConnectError } from "@connectrpc/connect";
import Database from "better-sqlite3";

/**
 * The one adapter from better-sqlite3 errors to ConnectError. `noun` names the
 * record the call was about ("workspace", "session event"), so the message can
 * say what clashed without SQL, table internals or file paths. The original
 * error is kept as `cause` for logs.
 *
 * - unique or primary-key clash: `already_exists` ("workspace already exists")
 * - missing parent row (foreign key): `failed_precondition`
 * - database busy or locked: `unavailable`
 * - anything else: `internal`
 *
 * A ConnectError passes through unchanged.
 */
export function sqliteError(err: unknown, noun: string): ConnectError {
  if (err instanceof ConnectError) return err;
  const sqliteCode = err instanceof Database.SqliteError ? err.code : "";
  switch (sqliteCode) {
    case "SQLITE_CONSTRAINT_PRIMARYKEY":
    case "SQLITE_CONSTRAINT_UNIQUE":
      return new ConnectError(`${noun} already exists`, Code.AlreadyExists, undefined, undefined, err);
    case "SQLITE_CONSTRAINT_FOREIGNKEY":
      return new ConnectError(
        `${noun} refers to a record that does not exist`,
        Code.FailedPrecondition,
        undefined,
        undefined,
        err,
      );
  }
  if (sqliteCode.startsWith("SQLITE_BUSY") || sqliteCode.startsWith("SQLITE_LOCKED")) {
    return new ConnectError("database is busy, try again", Code.Unavailable, undefined, undefined, err);
  }
  return new ConnectError(`database error (${noun})`, Code.Internal, undefined, undefined, err);
}

/** Rejects a call whose request was already canceled: `canceled`. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ConnectError("request canceled", Code.Canceled);
}
