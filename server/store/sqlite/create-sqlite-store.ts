import { defaultWorkspacePermissions, type Store } from "../store.js";
import { createSqliteFileGuard, type SqliteFileGuard } from "./create-sqlite-file-guard.js";
import { openSqliteDatabase } from "./open-sqlite-database.js";
import { sqliteError, throwIfAborted } from "./sqlite-errors.js";
import { applySqliteMigrations } from "./sqlite-migrations.js";
import {
  appendedEvent,
  commandBytes,
  commandFromRow,
  eventParams,
  idempotencyFromRow,
  machineFromRow,
  outcomeJson,
  payloadJson,
  sessionEventFromRow,
  workspaceFromRow,
} from "./sqlite-rows.js";
import { patchToParams, sessionFromRow, sessionToRow } from "./sqlite-session-rows.js";
import { prepareSqliteStatements, type SqliteStatements } from "./sqlite-statements.js";
import { sqlitePermissionMethods } from "./sqlite-permission-methods.js";
import { createSqliteTokenFeed } from "./create-sqlite-token-feed.js";
import { sqliteTokenMethods } from "./sqlite-token-methods.js";
import { sqliteTranscriptMethods } from "./sqlite-transcript-methods.js";
import { prepareSqliteTransactions } from "./sqlite-transactions.js";
import { sqliteWebhookMethods } from "./sqlite-webhook-methods.js";

export interface SqliteStoreOptions {
  /** Database file; its directory is created when missing. `:memory:` for a private in-memory database. */
  path: string;
}

/**
 * The Store on SQLite through better-sqlite3: one connection in WAL mode with
 * foreign keys on, a 5 s busy timeout and `synchronous = NORMAL`. Statements
 * are prepared once, on the first call after the tables exist. Calls run
 * synchronously on the connection; each returns a promise that settles with
 * the result, or rejects with a ConnectError (see `sqlite-errors.ts`), or with
 * `canceled` when the given signal was already aborted. Before each call the
 * file at the path is checked to be the one opened (`createSqliteFileGuard`):
 * once it was deleted or replaced every call is `unavailable` until restart.
 * A new file is created with mode 0600 (`openSqliteDatabase`). Its
 * `tokenChanges` is `createSqliteTokenFeed`. Call `migrate()` before anything
 * else (`openStore` does).
 */
/** `map(row)`, or undefined when there is no row. */
function maybe<R, T>(row: R | undefined, map: (row: R) => T): T | undefined {
  return row === undefined ? undefined : map(row);
}

export function createSqliteStore(options: SqliteStoreOptions): Store {
  const db = openSqliteDatabase(options.path);
  let guard: SqliteFileGuard;
  try {
    guard = createSqliteFileGuard(options.path);
  } catch (err) {
    db.close();
    throw sqliteError(err, "database");
  }

  let prepared: SqliteStatements | undefined;
  const st = (): SqliteStatements => {
    prepared ??= prepareSqliteStatements(db);
    return prepared;
  };

  /** Runs `fn` mapping engine errors; the signal is checked first, then that the file is still the one opened. */
  function run<T>(noun: string, signal: AbortSignal | undefined, fn: (s: SqliteStatements) => T): T {
    throwIfAborted(signal);
    guard.check();
    try {
      return fn(st());
    } catch (err) {
      throw sqliteError(err, noun);
    }
  }

  const tx = prepareSqliteTransactions(db, st);
  const tokenChanges = createSqliteTokenFeed(db, guard);

  return {
    tokenChanges,
    ...sqliteTranscriptMethods(db, st, run),
    ...sqliteTokenMethods(run, tx, tokenChanges.changed),
    ...sqliteWebhookMethods(db, run),
    ...sqlitePermissionMethods(db, run),

    async migrate() {
      try {
        guard.check();
        applySqliteMigrations(db);
      } catch (err) {
        throw sqliteError(err, "schema migration");
      }
    },

    async close() {
      if (db.open) db.close();
    },

    async createWorkspace(workspaceId, now, permissions) {
      const p = { ...defaultWorkspacePermissions, ...permissions };
      return run("workspace", undefined, (s) =>
        workspaceFromRow(s.insertWorkspace.get(workspaceId, now, p.defaultMode, p.ceiling, p.approvalTimeoutMs, p.defaultDecision)!),
      );
    },

    async getWorkspace(workspaceId, signal) {
      return run("workspace", signal, (s) => maybe(s.getWorkspace.get(workspaceId), workspaceFromRow));
    },

    async listWorkspaces() {
      return run("workspace", undefined, (s) => s.listWorkspaces.all().map(workspaceFromRow));
    },

    async createMachine(init) {
      return run("machine", undefined, () =>
        machineFromRow(tx.createMachine.immediate(init.machineId, init.workspaceId, init.makeDefault, init.now)),
      );
    },

    async getMachine(machineId, signal) {
      return run("machine", signal, (s) => maybe(s.getMachine.get(machineId), machineFromRow));
    },

    async listMachines(workspaceIds, signal) {
      return run("machine", signal, (s) => {
        if (workspaceIds === undefined) return s.listAllMachines.all().map(machineFromRow);
        if (workspaceIds.length === 0) return [];
        return s.listMachinesIn.all(JSON.stringify(workspaceIds)).map(machineFromRow);
      });
    },

    async recordMachineSeen(machineId, seen) {
      run("machine", undefined, (s) => {
        s.machineSeen.run(seen.daemonVersion ?? null, seen.hostname ?? null, seen.now, machineId);
      });
    },

    async createSession(session, signal) {
      run("session", signal, (s) => {
        s.insertSession.run(sessionToRow(session));
      });
    },

    async acceptLaunch(write, signal) {
      return run("session", signal, () => tx.acceptLaunch.immediate(write));
    },

    async getSession(workspaceId, sessionId, signal) {
      return run("session", signal, (s) => maybe(s.getSession.get(sessionId, workspaceId), sessionFromRow));
    },

    async getSessionById(sessionId, signal) {
      return run("session", signal, (s) => maybe(s.getSessionById.get(sessionId), sessionFromRow));
    },

    async updateSession(sessionId, patch, signal) {
      return run("session", signal, (s) => maybe(s.updateSession.get(patchToParams(sessionId, patch)), sessionFromRow));
    },

    async listSessions(query, signal) {
      return run("session", signal, (s) => {
        const params = {
          workspace_id: query.workspaceId,
          state: query.state,
          machine_id: query.machineId,
          after_created_at: query.after?.createdAt,
          after_session_id: query.after?.sessionId,
          limit: Math.max(0, Math.floor(query.limit)),
        };
        // Unused filters are undefined here; the chosen statement does not name them.
        return s
          .listSessions(params)
          .all(params)
          .map(sessionFromRow);
      });
    },

    async listSessionsOnMachine(machineId, states, signal) {
      return run("session", signal, (s) => {
        if (states.length === 0) return [];
        return s.listSessionsOnMachine.all(machineId, JSON.stringify(states)).map(sessionFromRow);
      });
    },

    async appendSessionEvent(event, signal) {
      return run("session event", signal, (s) => appendedEvent(event, s.appendSessionEvent.get(...eventParams(event))!.sequence));
    },

    async moveSession(move, signal) {
      return run("session", signal, () => tx.moveSession.immediate(move));
    },

    async listSessionEvents(sessionId, afterSequence, signal) {
      return run("session event", signal, (s) => s.listSessionEvents.all(sessionId, afterSequence).map(sessionEventFromRow));
    },

    async createCommand(command, signal) {
      run("command", signal, (s) => {
        const { commandId, machineId, sessionId, kind, deadlineAt, now } = command;
        s.insertCommand.run(commandId, machineId, sessionId, kind, commandBytes(command.command), deadlineAt ?? null, now);
      });
    },

    async getCommand(commandId, signal) {
      return run("command", signal, (s) => maybe(s.getCommand.get(commandId), commandFromRow));
    },

    async expireCommand(commandId, now) {
      return run("command", undefined, () => tx.expireCommand.immediate(commandId, now));
    },

    async listPendingCommands(machineId, now, signal) {
      return run("command", signal, (s) => s.listPendingCommands.all(machineId, now).map(commandFromRow));
    },

    async recordAck(ack) {
      return run("command", undefined, () =>
        tx.recordAck.immediate(ack.commandId, ack.machineId, ack.status, payloadJson(ack.payload), ack.now, ack.move),
      );
    },

    async claimIdempotencyKey(init) {
      return run("idempotency key", undefined, () =>
        tx.claimIdempotencyKey.immediate(init.tokenId, init.key, init.sessionId, init.requestHash, init.now),
      );
    },

    async completeIdempotencyKey(tokenId, key, outcome) {
      run("idempotency key", undefined, (s) => {
        s.completeIdempotencyKey.run(outcomeJson(outcome), tokenId, key);
      });
    },

    async bindIdempotencyKey(tokenId, key, sessionId) {
      run("idempotency key", undefined, (s) => void s.bindIdempotencyKey.run(sessionId, tokenId, key));
    },

    async listUnfinishedIdempotencyKeys(createdBefore, limit) {
      return run("idempotency key", undefined, (s) => s.listUnfinishedIdempotencyKeys.all(createdBefore, limit).map(idempotencyFromRow));
    },

    async listOverdueCommands(now, limit) {
      return run("command", undefined, (s) => s.listOverdueCommands.all(now, limit).map(commandFromRow));
    },

    async listStaleSessions(states, updatedBefore, limit) {
      return run("session", undefined, (s) => s.listStaleSessions.all(JSON.stringify(states), updatedBefore, limit).map(sessionFromRow));
    },

    async releaseIdempotencyKey(tokenId, key) {
      run("idempotency key", undefined, (s) => {
        s.releaseIdempotencyKey.run(tokenId, key);
      });
    },

    async checkWritable(signal) {
      // The header's application id ("wsct"), set to what it is: page 1 is
      // written all the same, so a full disk or a read-only file refuses it.
      run("database", signal, () => void db.pragma("application_id = 2004050804"));
    },
  };
}
