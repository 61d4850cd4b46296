import { statSync } from "node:fs";
import type { ConnectError } from "@connectrpc/connect";
import { storeErrors } from "../store-errors.js";
import { isMemoryPath } from "./open-sqlite-database.js";

/** Notices a database file deleted or replaced under the open connection. */
export interface SqliteFileGuard {
  /** Throws `unavailable` (`storeErrors.fault`) when the file at the path is no longer the one opened. */
  check(): void;
}

/**
 * SQLite keeps reading and writing an unlinked inode: a database file deleted
 * (or replaced by another) while the server runs would take every write and
 * lose it at the next restart. The guard remembers the device and inode of
 * the file at `path` when the store opened it and compares them with the
 * path's before the first store call of each turn of the event loop: one
 * `stat`, shared by every call of that turn (under load one turn runs many
 * launches' calls: a `stat` per call was 6 % of the server's CPU in the
 * launch benchmark). A call never records into a file that was gone when its
 * turn began; a deletion racing the turn is as racy as one between a `stat`
 * and the write after it. Once the file is found deleted or
 * replaced the fault stays: every later call fails the same way, until the
 * server is restarted (on the restored file, or on the new one); the old
 * inode's writes since the fault are not carried over. An in-memory
 * database has nothing to guard.
 */
export function createSqliteFileGuard(path: string): SqliteFileGuard {
  if (isMemoryPath(path)) return { check() {} };
  const opened = statSync(path);
  let fault: ConnectError | undefined;
  let checkedThisTurn = false;
  const nextTurn = () => {
    checkedThisTurn = false;
  };
  return {
    check() {
      if (fault !== undefined) throw fault;
      if (checkedThisTurn) return;
      let now: ReturnType<typeof statSync>;
      try {
        now = statSync(path, { throwIfNoEntry: false });
      } catch (err) {
        throw storeErrors.fault("cannot check the database file", err);
      }
      if (now === undefined) fault = storeErrors.fault("database file deleted: restore it and restart the server");
      else if (now.ino !== opened.ino || now.dev !== opened.dev) {
        fault = storeErrors.fault("database file replaced: restart the server to use the new file");
      }
      if (fault !== undefined) throw fault;
      checkedThisTurn = true;
      setImmediate(nextTurn);
    },
  };
}
