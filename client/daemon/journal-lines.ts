import type { JsonObject } from "@bufbuild/protobuf";

// The command journal's lines (see createCommandJournal): JSON Lines, one record a line,
// field names in snake_case like the agent registry's files, `v` the format's version.
//   {"v":1,"op":"received","command_id":"c1","kind":"launch","session_id":"s1","at":"<ISO 8601>"}
//   {"v":1,"op":"result","command_id":"c1","status":"ok","payload":{…},"at":"<ISO 8601>"}

/** A command's acknowledgement as recorded: what a redelivery is answered with. */
export interface JournalResult {
  status: "ok" | "error";
  payload: JsonObject;
}

/** What the journal knows of one command id. */
export interface JournalEntry {
  commandId: string;
  /** The DaemonCommand's kind (`launch`, `stop`); "" when unknown. */
  kind: string;
  /** The command's session; "" when it has none. */
  sessionId: string;
  /** When it was received, in ms since the epoch. */
  receivedAt: number;
  /** Set once the command has a result. Absent after a restart: its first run was interrupted. */
  result?: JournalResult;
  /** When the result was recorded, in ms since the epoch. */
  finishedAt?: number;
}

/** Loads the entries of a journal's text; lines that do not parse are counted, not fatal. */
export function parseJournalLines(text: string): { entries: JournalEntry[]; lines: number; skipped: number } {
  const byId = new Map<string, JournalEntry>();
  let lines = 0;
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    lines += 1;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      skipped += 1;
      continue;
    }
    const id = record?.command_id;
    const at = typeof record?.at === "string" ? Date.parse(record.at) : Number.NaN;
    if (typeof id !== "string" || id === "" || Number.isNaN(at)) {
      skipped += 1;
      continue;
    }
    if (record.op === "received") {
      if (byId.has(id)) continue;
      const kind = typeof record.kind === "string" ? record.kind : "";
      const sessionId = typeof record.session_id === "string" ? record.session_id : "";
      byId.set(id, { commandId: id, kind, sessionId, receivedAt: at });
    } else if (record.op === "result" && (record.status === "ok" || record.status === "error")) {
      const payload = isObject(record.payload) ? (record.payload as JsonObject) : {};
      const entry = byId.get(id) ?? { commandId: id, kind: "", sessionId: "", receivedAt: at };
      entry.result = { status: record.status, payload };
      entry.finishedAt = at;
      byId.set(id, entry);
    } else {
      skipped += 1;
    }
  }
  return { entries: [...byId.values()], lines, skipped };
}

/** The lines of one entry: its `received` line, then its `result` line once it has one. */
export function journalLines(entry: JournalEntry): string[] {
  const received = JSON.stringify({
    v: 1,
    op: "received",
    command_id: entry.commandId,
    kind: entry.kind,
    session_id: entry.sessionId,
    at: new Date(entry.receivedAt).toISOString(),
  });
  if (entry.result === undefined) return [`${received}\n`];
  return [`${received}\n`, resultLine(entry.commandId, entry.result, entry.finishedAt ?? entry.receivedAt)];
}

/** The `result` line of a command, recorded at `at` (ms since the epoch). */
export function resultLine(commandId: string, result: JournalResult, at: number): string {
  const { status, payload } = result;
  return `${JSON.stringify({ v: 1, op: "result", command_id: commandId, status, payload, at: new Date(at).toISOString() })}\n`;
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

