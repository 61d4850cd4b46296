import type Database from "better-sqlite3";
import type { TokenChangeFeed } from "../token-change-feed.js";
import type { SqliteFileGuard } from "./create-sqlite-file-guard.js";

/** The SQLite store's token feed, with what its own token writes call. */
export interface SqliteTokenFeed extends TokenChangeFeed {
  /** This connection changed tokens: the epoch moves at once. */
  changed(): void;
}

/**
 * The `TokenChangeFeed` of the SQLite store: the epoch moves when this
 * connection revokes a token (`changed`) and when `PRAGMA data_version`
 * moved since the last look — SQLite changes it on every commit by another
 * connection to the file (`wsctl admin` in another process), never for this
 * connection's own. It is read on each `epoch()`: one prepared pragma, no
 * table read, no lock. Undefined once the file was deleted or replaced
 * (`SqliteFileGuard`) or the database closed. There is nothing to start.
 */
export function createSqliteTokenFeed(db: Database.Database, guard: SqliteFileGuard): SqliteTokenFeed {
  let epoch = 0;
  let seenVersion: unknown;
  let dataVersion: Database.Statement<[], number> | undefined;
  return {
    async start() {},
    epoch() {
      try {
        guard.check();
        dataVersion ??= db.prepare<[], number>("PRAGMA data_version").pluck();
        const version = dataVersion.get();
        if (version !== seenVersion) {
          if (seenVersion !== undefined) epoch++;
          seenVersion = version;
        }
        return epoch;
      } catch {
        return undefined;
      }
    },
    changed() {
      epoch++;
    },
  };
}
