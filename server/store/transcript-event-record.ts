import type { SessionEventRecord, SessionStateName, TranscriptEntryRecord } from "./store.js";

/** The record of a stored `transcript` event: the same on every engine. */
export function transcriptEventRecord(
  at: { sessionId: string; sequence: number; state: string; machineId: string; time: number },
  entry: TranscriptEntryRecord,
): SessionEventRecord {
  return {
    sessionId: at.sessionId,
    sequence: at.sequence,
    type: "transcript",
    state: at.state as SessionStateName,
    machineId: at.machineId,
    acknowledgement: undefined,
    exitCode: undefined,
    message: "",
    entry,
    time: at.time,
  };
}
