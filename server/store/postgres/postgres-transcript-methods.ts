import type { Store, TranscriptEntryRecord } from "../store.js";
import { transcriptEventRecord } from "../transcript-event-record.js";
import type { PostgresRunner } from "./create-postgres-runner.js";
import { jsonb, type SessionEventRow, sessionEventFromRow } from "./postgres-rows.js";
import { postgresStatements as sql } from "./postgres-statements.js";

/**
 * The PostgreSQL store's transcript methods. `appendTranscript` is one
 * transaction: the session row is locked (`FOR UPDATE`) while its
 * `transcript_length` is read and moved, so a batch sent twice at once is
 * stored once; the sequences are taken from the session's counter row in one
 * bump, as `appendSessionEvent` takes one, so state events and entries share
 * one gapless sequence on every replica.
 */
export function postgresTranscriptMethods(run: PostgresRunner): Pick<Store, "appendTranscript" | "listTranscript"> {
  return {
    async appendTranscript(input, signal) {
      return run.transaction("transcript", signal, async (query) => {
        const [session] = await query<{ state: string; machine_id: string; transcript_length: string }>(
          sql.lockSessionTranscript(input.sessionId),
        );
        if (session === undefined || session.machine_id !== input.machineId) return undefined;
        const stored = Number(session.transcript_length);
        if (input.fromOffset > stored) return { appended: [], nextOffset: stored };
        const entries: TranscriptEntryRecord[] = input.entries
          .slice(stored - input.fromOffset)
          .map((given, index) => ({ ...given, offset: stored + index }));
        if (entries.length === 0) return { appended: [], nextOffset: stored };
        const [counter] = await query<{ last_sequence: string }>(sql.takeSequences(input.sessionId, entries.length));
        const first = Number(counter!.last_sequence) - entries.length + 1;
        await query(sql.insertTranscriptEvents(input.sessionId, first, session.state, session.machine_id, input.now, jsonb(entries)));
        await query(sql.setTranscriptLength(input.sessionId, stored + entries.length));
        const appended = entries.map((entry, index) =>
          transcriptEventRecord(
            { sessionId: input.sessionId, sequence: first + index, state: session.state, machineId: session.machine_id, time: input.now },
            entry,
          ),
        );
        return { appended, nextOffset: stored + entries.length };
      });
    },

    async listTranscript(query, signal) {
      const before = query.beforeSequence > 0 ? query.beforeSequence : Number.MAX_SAFE_INTEGER;
      const limit = Math.max(0, Math.floor(query.limit));
      const page = query.backward ? sql.transcriptBackward : sql.transcriptForward;
      const rows = await run.rows<SessionEventRow>("transcript", signal, page(query.sessionId, query.afterSequence, before, limit));
      if (query.backward) rows.reverse();
      const [last] = await run.rows<{ last_sequence: string }>("transcript", signal, sql.lastSequence(query.sessionId));
      return { events: rows.map(sessionEventFromRow), lastSequence: Number(last?.last_sequence ?? 0) };
    },
  };
}
