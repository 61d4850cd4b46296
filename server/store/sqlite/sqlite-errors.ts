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
      return storeErrors.alreadyExists(noun, err);
    case "SQLITE_CONSTRAINT_FOREIGNKEY":
      return storeErrors.missingReference(noun, err);
  }
  if (sqliteCode.startsWith("SQLITE_BUSY") || sqliteCode.startsWith("SQLITE_LOCKED")) return storeErrors.busy(err);
  return storeErrors.internal(noun, err);
}
