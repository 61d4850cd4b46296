import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { sqliteError } from "./sqlite-errors.js";

/** Whether `path` names a private in-memory database rather than a file. */
export function isMemoryPath(path: string): boolean {
  return path === ":memory:" || path === "";
}

/**
 * Opens the SQLite database at `path` the way the store runs it: WAL, a 5 s
 * busy timeout, `synchronous = NORMAL`, foreign keys on. A missing file is
 * created first with mode 0600 (its directory with 0700 when missing), so
 * tokens' hashes and prompts are the server user's alone; SQLite gives the
 * `-wal` and `-shm` files the database file's mode. An existing file keeps
 * its mode. Throws the store's ConnectError when the file cannot be opened.
 */
export function openSqliteDatabase(path: string): Database.Database {
  let db: Database.Database;
  try {
    if (!isMemoryPath(path)) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // "a": created when missing, never truncated.
      closeSync(openSync(path, "a", 0o600));
    }
    db = new Database(path, { timeout: 5000 });
  } catch (err) {
    throw sqliteError(err, "database");
  }
  try {
    db.pragma("busy_timeout = 5000");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
  } catch (err) {
    db.close();
    throw sqliteError(err, "database");
  }
  return db;
}
