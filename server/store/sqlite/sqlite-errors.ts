import { ConnectError } from "@connectrpc/connect";
import Database from "better-sqlite3";
import { storeErrors } from "../store-errors.js";

export { throwIfAborted } from "../store-errors.js";

/**
 * The one adapter from better-sqlite3 errors to ConnectError (worded by
 * `store-errors.ts`). `noun` names the record the call was about
 * ("workspace", "session event"), so the message can say what clashed
 * without SQL, table internals or file paths. The original error is kept as
 * `cause` for logs.
 *
 * - unique or primary-key clash: `already_exists` ("workspace already exists")
 * - missing parent row (foreign key): `failed_precondition`
 * - database busy or locked: `unavailable` ("database is busy")
 * - the write could not be recorded (disk or file full, an I/O error, a
 *   read-only or vanished file, a corrupt one): `unavailable` with the
 *   reason (`storeErrors.fault`), so no caller is told of a write that did
 *   not happen, and readiness reports it
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
      return storeErrors.alreadyExists(noun, err);
    case "SQLITE_CONSTRAINT_FOREIGNKEY":
      return storeErrors.missingReference(noun, err);
  }
  if (sqliteCode.startsWith("SQLITE_BUSY") || sqliteCode.startsWith("SQLITE_LOCKED")) return storeErrors.busy(err);
  const fault = faultReason(sqliteCode);
  if (fault !== undefined) return storeErrors.fault(fault, err);
  return storeErrors.internal(noun, err);
}

/** What an engine code says about the file, for the codes that mean nothing can be recorded. */
function faultReason(sqliteCode: string): string | undefined {
  if (sqliteCode === "SQLITE_FULL") return "disk full";
  if (sqliteCode === "SQLITE_READONLY_DBMOVED") return "database file moved or deleted: restart the server";
  if (sqliteCode.startsWith("SQLITE_READONLY")) return "database file is read-only";
  if (sqliteCode.startsWith("SQLITE_IOERR")) return "I/O error on the database file";
  if (sqliteCode.startsWith("SQLITE_CANTOPEN")) return "cannot open the database file";
  if (sqliteCode.startsWith("SQLITE_CORRUPT") || sqliteCode === "SQLITE_NOTADB") return "database file is corrupt";
  return undefined;
}
