import type Database from "better-sqlite3";
import type { SessionEventRecord, Store, TranscriptAppend, TranscriptEntryRecord } from "../store.js";
import { transcriptEventRecord } from "../transcript-event-record.js";
import { sessionEventFromRow } from "./sqlite-rows.js";
import type { SqliteStatements } from "./sqlite-statements.js";

/** Runs a store call with the engine's error mapping (the store's own `run`). */
type Run = <T>(noun: string, signal: AbortSignal | undefined, fn: (s: SqliteStatements) => T) => T;

/**
 * The SQLite store's transcript methods: `appendTranscript` in one immediate
 * transaction (the session's `transcript_length` is read and moved in it, so
 * two appends of one batch store it once), `listTranscript` over the partial
 * index of transcript events.
 */
export function sqliteTranscriptMethods(
  db: Database.Database,
  st: () => SqliteStatements,
  run: Run,
): Pick<Store, "appendTranscript" | "listTranscript"> {
  const append = db.transaction((input: TranscriptAppend) => {
    const s = st();
    const session = s.getSessionById.get(input.sessionId);
    if (session === undefined || session.machine_id !== input.machineId) return undefined;
    const stored = session.transcript_length;
    if (input.fromOffset > stored) return { appended: [], nextOffset: stored };
    const fresh = input.entries.slice(stored - input.fromOffset);
    const appended: SessionEventRecord[] = [];
    fresh.forEach((given, index) => {
      const entry: TranscriptEntryRecord = { ...given, offset: stored + index };
      const { sequence } = s.appendTranscriptEvent.get({
        session_id: input.sessionId,
        state: session.state,
        machine_id: session.machine_id,
        now: input.now,
        entry_json: JSON.stringify(entry),
      })!;
      const at = { sessionId: input.sessionId, sequence, state: session.state, machineId: session.machine_id, time: input.now };
      appended.push(transcriptEventRecord(at, entry));
    });
    if (fresh.length > 0) s.setTranscriptLength.run(stored + fresh.length, input.sessionId);
    return { appended, nextOffset: stored + fresh.length };
  });

  return {
    async appendTranscript(input, signal) {
      return run("transcript", signal, () => append.immediate(input));
    },
    async listTranscript(query, signal) {
      return run("transcript", signal, (s) => {
        const before = query.beforeSequence > 0 ? query.beforeSequence : Number.MAX_SAFE_INTEGER;
        const limit = Math.max(0, Math.floor(query.limit));
        const statement = query.backward ? s.transcriptBackward : s.transcriptForward;
        const rows = statement.all(query.sessionId, query.afterSequence, before, limit);
        if (query.backward) rows.reverse();
        return { events: rows.map(sessionEventFromRow), lastSequence: s.lastSequence.get(query.sessionId) ?? 0 };
      });
    },
  };
}
