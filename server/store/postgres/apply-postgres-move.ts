import type { SessionEventRecord, SessionMoveWrite } from "../store.js";
import type { TransactionQuery } from "./create-postgres-runner.js";
import { appendedEvent, eventToParams, type SessionRow, sessionFromRow } from "./postgres-rows.js";
import { patchToParams } from "./postgres-session-params.js";
import { postgresStatements as sql } from "./postgres-statements.js";

/** A session's guarded move (see `Store.moveSession`), inside the caller's transaction. */
export async function applyPostgresMove(query: TransactionQuery, move: SessionMoveWrite) {
  const [row] = await query<SessionRow>(sql.moveSession(...patchToParams(move.sessionId, move.patch), move.from));
  if (!row) return undefined;
  const events: SessionEventRecord[] = [];
  for (const event of move.events) {
    const [appended] = await query<{ sequence: string }>(sql.appendSessionEvent(...eventToParams(event)));
    events.push(appendedEvent(event, appended!.sequence));
  }
  return { session: sessionFromRow(row), events };
}
