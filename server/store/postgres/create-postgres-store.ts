import { Code, ConnectError } from "@connectrpc/connect";
import { toBinary } from "@bufbuild/protobuf";
import type pg from "pg";
import { DaemonCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { defaultWorkspacePermissions, type Store, type TokenChangeFeed } from "../store.js";
import { createPostgresPool, type PostgresPoolOptions } from "./create-postgres-pool.js";
import { createPostgresRunner, maxAttempts } from "./create-postgres-runner.js";
import { createPostgresTokenFeed, type PostgresTokenFeedOptions } from "./create-postgres-token-feed.js";
import { throwIfAborted } from "../store-errors.js";
import { postgresError } from "./postgres-errors.js";
import { applyPostgresMigrations } from "./postgres-migrations.js";
import {
  appendedEvent,
  eventToParams,
  type IdempotencyRow,
  idempotencyFromRow,
  jsonb,
  type MachineRow,
  machineFromRow,
  type SessionEventRow,
  type SessionRow,
  sessionEventFromRow,
  sessionFromRow,
  text,
  type WorkspaceRow,
  workspaceFromRow,
} from "./postgres-rows.js";
import { patchToParams, sessionToParams } from "./postgres-session-params.js";
import { postgresStatements as sql } from "./postgres-statements.js";
import { postgresPermissionMethods } from "./postgres-permission-methods.js";
import { applyPostgresMove } from "./apply-postgres-move.js";
import { postgresCommandMethods } from "./postgres-command-methods.js";
import { postgresTokenMethods } from "./postgres-token-methods.js";
import { postgresTranscriptMethods } from "./postgres-transcript-methods.js";
import { postgresWebhookMethods } from "./postgres-webhook-methods.js";
import { waitForTokenListeners } from "./wait-for-token-listeners.js";

export type PostgresStoreOptions = (
  /** The store opens its own pool (see `createPostgresPool` for the URL's `?schema=` and `?pool_size=`) and ends it on close. */
  | (PostgresPoolOptions & { pool?: undefined })
  | {
      /** A pool shared with other parts of the server; the store never ends it. */
      pool: pg.Pool;
      /** The schema the pool's search_path names, if any, for `migrate()` to create when missing. */
      schema?: string;
      url?: undefined;
    }
) & {
  /** How `tokenChanges` listens once a token cache starts it (lease, reconnect pause); defaults as `createPostgresTokenFeed` says. */
  tokenFeed?: PostgresTokenFeedOptions;
};

/** The Store on PostgreSQL, with the pool it runs on, for the parts of the server that share it. */
export interface PostgresStore extends Store {
  readonly pool: pg.Pool;
  readonly schema: string | undefined;
  /** Started by a token cache: one more connection of its own (LISTEN), and a row in `token_cache_listeners`. */
  readonly tokenChanges: TokenChangeFeed;
}

/**
 * The Store on PostgreSQL through `pg`: a pool of `poolSize` connections
 * (default 10, or `?pool_size=` in the URL), tables in `?schema=` when given.
 * Behaves as the SQLite store does (one contract suite judges both): objects
 * are `jsonb`, times BIGINT milliseconds, errors mapped by
 * `postgres-errors.ts`, serialization failures and deadlocks retried (see
 * `create-postgres-runner.ts`, which also describes cancellation: a signal
 * aborted before or during a call rejects it with `canceled`, canceling the
 * statement on the server). Its `tokenChanges` is `createPostgresTokenFeed`
 * (a revoke resolves once every listening replica confirmed it, see
 * `waitForTokenListeners`). Call `migrate()` before anything else
 * (`openStore` does); `close()` stops the feed, and ends the pool only when
 * the store opened it.
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const { pool, schema } = options.pool === undefined ? createPostgresPool(options) : options;
  const ownsPool = options.pool === undefined;
  const run = createPostgresRunner(pool);
  const tokenChanges = createPostgresTokenFeed(pool, options.tokenFeed);
  const tokensChanged = async (epoch: number) => {
    tokenChanges.changed();
    await waitForTokenListeners(run, epoch);
  };

  return {
    pool,
    schema,
    tokenChanges,
    ...postgresTranscriptMethods(run),
    ...postgresTokenMethods(run, tokensChanged),
    ...postgresCommandMethods(run),
    ...postgresWebhookMethods(run),
    ...postgresPermissionMethods(run),

    async migrate() {
      try {
        await applyPostgresMigrations(pool, schema);
      } catch (err) {
        throw postgresError(err, "schema migration");
      }
    },

    async close() {
      await tokenChanges.close();
      run.close();
      if (ownsPool && !pool.ended && !pool.ending) await pool.end();
    },

    async createWorkspace(workspaceId, now, permissions) {
      const p = { ...defaultWorkspacePermissions, ...permissions };
      const statement = sql.insertWorkspace(workspaceId, now, p.defaultMode, p.ceiling, p.approvalTimeoutMs, p.defaultDecision);
      const [row] = await run.rows<WorkspaceRow>("workspace", undefined, statement);
      return workspaceFromRow(row!);
    },

    async getWorkspace(workspaceId, signal) {
      const [row] = await run.rows<WorkspaceRow>("workspace", signal, sql.getWorkspace(workspaceId));
      return row && workspaceFromRow(row);
    },

    async listWorkspaces() {
      return (await run.rows<WorkspaceRow>("workspace", undefined, sql.listWorkspaces())).map(workspaceFromRow);
    },

    async createMachine(init) {
      const statement = sql.createMachine(init.machineId, init.workspaceId, init.makeDefault, init.now);
      const [row] = await run.rows<MachineRow>("machine", undefined, statement);
      return machineFromRow(row!);
    },

    async getMachine(machineId, signal) {
      const [row] = await run.rows<MachineRow>("machine", signal, sql.getMachine(machineId));
      return row && machineFromRow(row);
    },

    async listMachines(workspaceIds, signal) {
      if (workspaceIds?.length === 0) return none(signal);
      const statement = workspaceIds === undefined ? sql.listAllMachines() : sql.listMachinesIn([...workspaceIds]);
      return (await run.rows<MachineRow>("machine", signal, statement)).map(machineFromRow);
    },

    async recordMachineSeen(machineId, seen) {
      const version = seen.daemonVersion === undefined ? null : text(seen.daemonVersion);
      const hostname = seen.hostname === undefined ? null : text(seen.hostname);
      await run.rows("machine", undefined, sql.machineSeen(version, hostname, seen.now, machineId));
    },

    async createSession(session, signal) {
      await run.rows("session", signal, sql.insertSession(...sessionToParams(session)));
    },

    async getSession(workspaceId, sessionId, signal) {
      const [row] = await run.rows<SessionRow>("session", signal, sql.getSession(sessionId, workspaceId));
      return row && sessionFromRow(row);
    },

    async getSessionById(sessionId, signal) {
      const [row] = await run.rows<SessionRow>("session", signal, sql.getSessionById(sessionId));
      return row && sessionFromRow(row);
    },

    async updateSession(sessionId, patch, signal) {
      const [row] = await run.rows<SessionRow>("session", signal, sql.updateSession(...patchToParams(sessionId, patch)));
      return row && sessionFromRow(row);
    },

    async listSessions(query, signal) {
      return (await run.rows<SessionRow>("session", signal, sql.listSessions(query))).map(sessionFromRow);
    },

    async listSessionsOnMachine(machineId, states, signal) {
      if (states.length === 0) return none(signal);
      const statement = sql.listSessionsOnMachine(machineId, [...states]);
      return (await run.rows<SessionRow>("session", signal, statement)).map(sessionFromRow);
    },

    async appendSessionEvent(event, signal) {
      const [row] = await run.rows<{ sequence: string }>(
        "session event",
        signal,
        sql.appendSessionEvent(...eventToParams(event)),
      );
      return appendedEvent(event, row!.sequence);
    },

    async acceptLaunch(write, signal) {
      return run.transaction("session", signal, async (query) => {
        let session = "create" in write.session ? write.session.create : undefined;
        if (session) await query(sql.insertSession(...sessionToParams(session)));
        else if ("reuse" in write.session) {
          const [row] = await query<SessionRow>(sql.updateSession(...patchToParams(write.session.reuse, write.session.patch)));
          if (!row) throw new ConnectError(`session ${write.session.reuse} not found`, Code.NotFound);
          session = sessionFromRow(row);
        }
        const key = write.idempotencyKey;
        if (key) await query(sql.bindIdempotencyKey(session!.sessionId, key.tokenId, key.key));
        const [appended] = await query<{ sequence: string }>(sql.appendSessionEvent(...eventToParams(write.event)));
        const { commandId, machineId, sessionId, kind, now } = write.command;
        const bytes = Buffer.from(toBinary(DaemonCommandSchema, write.command.command));
        await query(sql.insertCommand(commandId, machineId, sessionId, kind, bytes, write.command.deadlineAt ?? null, now));
        return { session: session!, event: appendedEvent(write.event, appended!.sequence) };
      });
    },

    async moveSession(move, signal) {
      return run.transaction("session", signal, (query) => applyPostgresMove(query, move));
    },

    async listSessionEvents(sessionId, afterSequence, signal) {
      const rows = await run.rows<SessionEventRow>("session event", signal, sql.listSessionEvents(sessionId, afterSequence));
      return rows.map(sessionEventFromRow);
    },

    async claimIdempotencyKey(init) {
      const { tokenId, key } = init;
      // A claim released between our insert and our read leaves nothing to read: claim again.
      for (let tries = 1; ; tries++) {
        const claim = sql.claimIdempotencyKey(tokenId, key, init.sessionId, init.requestHash, init.now);
        if ((await run.rows("idempotency key", undefined, claim)).length > 0) return undefined;
        const [row] = await run.rows<IdempotencyRow>("idempotency key", undefined, sql.getIdempotencyKey(tokenId, key));
        if (row) return idempotencyFromRow(row);
        if (tries >= maxAttempts) throw postgresError(new Error("idempotency key keeps changing"), "idempotency key");
      }
    },

    async completeIdempotencyKey(tokenId, key, outcome) {
      await run.rows("idempotency key", undefined, sql.completeIdempotencyKey(jsonb(outcome), tokenId, key));
    },

    async bindIdempotencyKey(tokenId, key, sessionId) {
      await run.rows("idempotency key", undefined, sql.bindIdempotencyKey(sessionId, tokenId, key));
    },

    async listUnfinishedIdempotencyKeys(createdBefore, limit) {
      const rows = await run.rows<IdempotencyRow>("idempotency key", undefined, sql.listUnfinishedIdempotencyKeys(createdBefore, limit));
      return rows.map(idempotencyFromRow);
    },

    async listStaleSessions(states, updatedBefore, limit) {
      const rows = await run.rows<SessionRow>("session", undefined, sql.listStaleSessions([...states], updatedBefore, limit));
      return rows.map(sessionFromRow);
    },

    async releaseIdempotencyKey(tokenId, key) {
      await run.rows("idempotency key", undefined, sql.releaseIdempotencyKey(tokenId, key));
    },

    async checkWritable(signal) {
      await run.rows("database", signal, sql.checkWritable());
    },
  };
}

/** The answer of a list asked for nothing: empty, or `canceled` as any call with an aborted signal. */
async function none(signal: AbortSignal | undefined): Promise<never[]> {
  throwIfAborted(signal);
  return [];
}
