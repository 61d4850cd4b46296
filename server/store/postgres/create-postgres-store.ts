import { Code, ConnectError } from "@connectrpc/connect";
import { toBinary } from "@bufbuild/protobuf";
import type pg from "pg";
import { DaemonCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { defaultWorkspacePermissions, type SessionEventRecord, type SessionMoveWrite, type Store, type TokenChangeFeed } from "../store.js";
import { createPostgresPool, type PostgresPoolOptions } from "./create-postgres-pool.js";
import { createPostgresRunner, maxAttempts, type TransactionQuery } from "./create-postgres-runner.js";
import { createPostgresTokenFeed, type PostgresTokenFeedOptions } from "./create-postgres-token-feed.js";
import { throwIfAborted } from "../store-errors.js";
import { postgresError } from "./postgres-errors.js";
import { applyPostgresMigrations } from "./postgres-migrations.js";
import {
  appendedEvent,
  type CommandRow,
  commandFromRow,
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
      return run.transaction("session", signal, (query) => applyMove(query, move));
    },

    async listSessionEvents(sessionId, afterSequence, signal) {
      const rows = await run.rows<SessionEventRow>("session event", signal, sql.listSessionEvents(sessionId, afterSequence));
      return rows.map(sessionEventFromRow);
    },

    async createCommand(command, signal) {
      const { commandId, machineId, sessionId, kind, now } = command;
      const bytes = Buffer.from(toBinary(DaemonCommandSchema, command.command));
      await run.rows("command", signal, sql.insertCommand(commandId, machineId, sessionId, kind, bytes, command.deadlineAt ?? null, now));
    },

    async expireCommand(commandId, now) {
      const [expired] = await run.rows<CommandRow>("command", undefined, sql.expireCommand(now, commandId));
      if (expired) return { command: commandFromRow(expired), expired: true };
      const [row] = await run.rows<CommandRow>("command", undefined, sql.getCommand(commandId));
      return row && { command: commandFromRow(row), expired: false };
    },

    async listPendingCommands(machineId, now, signal) {
      const rows = await run.rows<CommandRow>("command", signal, sql.listPendingCommands(machineId, now));
      return rows.map(commandFromRow);
    },

    async getCommand(commandId, signal) {
      const [row] = await run.rows<CommandRow>("command", signal, sql.getCommand(commandId));
      return row && commandFromRow(row);
    },

    async recordAck(ack) {
      const statement = sql.ackCommand(ack.status, jsonb(ack.payload), ack.now, ack.commandId, ack.machineId);
      const { move } = ack;
      if (move) {
        // The acknowledgement and the state change it makes, in one transaction.
        const recorded = await run.transaction("command", undefined, async (query) => {
          const [acked] = await query<CommandRow>(statement);
          if (!acked) return undefined;
          const command = commandFromRow(acked);
          const moved = move.sessionId === command.sessionId ? await applyMove(query, move) : undefined;
          return moved ? { command, first: true, moved } : { command, first: true };
        });
        if (recorded) return recorded;
      } else {
        const [acked] = await run.rows<CommandRow>("command", undefined, statement);
        if (acked) return { command: commandFromRow(acked), first: true };
      }
      // Not the first (or no such command): a new statement sees the acknowledgement that won.
      const [row] = await run.rows<CommandRow>("command", undefined, sql.getMachineCommand(ack.commandId, ack.machineId));
      return row && { command: commandFromRow(row), first: false };
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

    async listOverdueCommands(now, limit) {
      return (await run.rows<CommandRow>("command", undefined, sql.listOverdueCommands(now, limit))).map(commandFromRow);
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

/** A session's guarded move (see `Store.moveSession`), inside the caller's transaction. */
async function applyMove(query: TransactionQuery, move: SessionMoveWrite) {
  const [row] = await query<SessionRow>(sql.moveSession(...patchToParams(move.sessionId, move.patch), move.from));
  if (!row) return undefined;
  const events: SessionEventRecord[] = [];
  for (const event of move.events) {
    const [appended] = await query<{ sequence: string }>(sql.appendSessionEvent(...eventToParams(event)));
    events.push(appendedEvent(event, appended!.sequence));
  }
  return { session: sessionFromRow(row), events };
}

/** The answer of a list asked for nothing: empty, or `canceled` as any call with an aborted signal. */
async function none(signal: AbortSignal | undefined): Promise<never[]> {
  throwIfAborted(signal);
  return [];
}
