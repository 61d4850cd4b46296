import type Database from "better-sqlite3";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AcceptLaunchWrite, NewToken, SessionMoveWrite } from "../store.js";
import { storedScopes } from "../stored-scopes.js";
import { appendedEvent, commandBytes, commandFromRow, eventParams, idempotencyFromRow } from "./sqlite-rows.js";
import { patchToParams, sessionFromRow, sessionToRow } from "./sqlite-session-rows.js";
import type { SqliteStatements } from "./sqlite-statements.js";

/**
 * The SQLite store's multi-statement writes, each one transaction (run with
 * `.immediate()` so the write lock is taken first). `st` gives the prepared
 * statements, prepared on first use.
 */
export function prepareSqliteTransactions(db: Database.Database, st: () => SqliteStatements) {
  return {
    createMachine: db.transaction((machineId: string, workspaceId: string, makeDefault: boolean, now: number) => {
      const s = st();
      const row = s.insertMachine.get(machineId, workspaceId, now)!;
      if (makeDefault) s.setDefaultMachine.run(machineId, workspaceId);
      else s.setDefaultMachineIfNone.run(machineId, workspaceId);
      return row;
    }),

    createToken: db.transaction((init: NewToken) => {
      const s = st();
      const scopes = storedScopes(init).join(" ");
      s.insertToken.run(init.tokenId, init.kind, init.hashHex, init.machineId ?? null, scopes, init.label ?? "", init.now);
      for (const workspaceId of new Set(init.workspaceIds)) s.insertTokenWorkspace.run(init.tokenId, workspaceId);
      return s.getTokenById.get(init.tokenId)!;
    }),

    recordAck: db.transaction((commandId: string, machineId: string, status: string, payload: string, now: number, move?: SessionMoveWrite) => {
      const s = st();
      const changes = s.ackCommand.run(status, payload, now, commandId, machineId).changes;
      const row = s.getMachineCommand.get(commandId, machineId);
      if (row === undefined) return undefined;
      const command = commandFromRow(row);
      const first = changes > 0;
      const moved = first && move !== undefined && move.sessionId === command.sessionId ? applyMove(s, move) : undefined;
      return moved ? { command, first, moved } : { command, first };
    }),

    expireCommand: db.transaction((commandId: string, now: number) => {
      const s = st();
      const changes = s.expireCommand.run(now, commandId).changes;
      const row = s.getCommand.get(commandId);
      return row === undefined ? undefined : { command: commandFromRow(row), expired: changes > 0 };
    }),

    acceptLaunch: db.transaction((write: AcceptLaunchWrite) => {
      const s = st();
      let session = "create" in write.session ? write.session.create : undefined;
      if (session) s.insertSession.run(sessionToRow(session));
      else if ("reuse" in write.session) {
        const row = s.updateSession.get(patchToParams(write.session.reuse, write.session.patch));
        if (row === undefined) throw new ConnectError(`session ${write.session.reuse} not found`, Code.NotFound);
        session = sessionFromRow(row);
      }
      const key = write.idempotencyKey;
      if (key) s.bindIdempotencyKey.run(session!.sessionId, key.tokenId, key.key);
      const event = appendedEvent(write.event, s.appendSessionEvent.get(...eventParams(write.event))!.sequence);
      const { commandId, machineId, sessionId, kind, deadlineAt, now } = write.command;
      s.insertCommand.run(commandId, machineId, sessionId, kind, commandBytes(write.command.command), deadlineAt ?? null, now);
      return { session: session!, event };
    }),

    moveSession: db.transaction((move: SessionMoveWrite) => applyMove(st(), move)),

    claimIdempotencyKey: db.transaction((tokenId: string, key: string, sessionId: string, requestHash: string, now: number) => {
      const s = st();
      if (s.claimIdempotencyKey.run(tokenId, key, sessionId, requestHash, now).changes > 0) return undefined;
      return idempotencyFromRow(s.getIdempotencyKey.get(tokenId, key)!);
    }),
  };
}

/** A session's guarded move (see `Store.moveSession`), inside the caller's transaction. */
function applyMove(s: SqliteStatements, move: SessionMoveWrite) {
  const row = s.moveSession.get({ ...patchToParams(move.sessionId, move.patch), from_state: move.from });
  if (row === undefined) return undefined;
  const events = move.events.map((event) => appendedEvent(event, s.appendSessionEvent.get(...eventParams(event))!.sequence));
  return { session: sessionFromRow(row), events };
}
