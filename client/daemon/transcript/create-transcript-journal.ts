import { appendFile, readFile, rename, rm, writeFile } from "node:fs/promises";
import { isErrno } from "../errno-of.js";
import type { DaemonEntry } from "./transcript-entry.js";

/**
 * One line of a session's transcript journal: entry `o` and, for entries read
 * from the agent's stdout, where reading stood after it (`b`, and `k` when in
 * the middle of skipping a cut line).
 */
export interface JournalLine {
  o: number;
  e: DaemonEntry;
  b: number;
  k?: 1;
}

/** What a journal holds, read back at start. */
export interface JournalState {
  /** Entries the server has not confirmed, in offset order. */
  unsent: { offset: number; entry: DaemonEntry }[];
  /** The offset the next entry gets. */
  nextOffset: number;
  /** The offset the server confirmed it expects next. */
  sentOffset: number;
  /** Where reading the agent's stdout stood, and whether inside a cut line. */
  position: number;
  skipping: boolean;
  /** Bytes of every entry so far, for the per-session cap. */
  totalBytes: number;
}

/**
 * A session's transcript in the daemon's state directory: every entry, once,
 * as JSON lines (`journal`), and the offset the server confirmed (`sent`,
 * written atomically). A restarted daemon reads both and resends what was not
 * confirmed, reading stdout on from where the last entry was read.
 */
export interface TranscriptJournal {
  /** The state of an existing journal; undefined when there is none. */
  load(): Promise<JournalState | undefined>;
  append(lines: readonly JournalLine[]): Promise<void>;
  /** The journaled entries with offsets in [from, to), in order. */
  range(from: number, to: number): Promise<{ offset: number; entry: DaemonEntry }[]>;
  saveSent(nextOffset: number): Promise<void>;
}

export function createTranscriptJournal(paths: { journal: string; sent: string }): TranscriptJournal {
  let tempCounter = 0;
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(paths.journal, "utf8");
      } catch (error) {
        if (isErrno(error, "ENOENT")) return undefined;
        throw error;
      }
      const sentText = await readFile(paths.sent, "utf8").catch(() => "0");
      const sentOffset = Number.parseInt(sentText, 10) || 0;
      const state: JournalState = { unsent: [], nextOffset: 0, sentOffset, position: 0, skipping: false, totalBytes: 0 };
      for (const raw of text.split("\n")) {
        const line = parseLine(raw);
        // A torn last line (the daemon died while writing it) is written again from stdout.
        if (line === undefined || line.o !== state.nextOffset) continue;
        state.nextOffset = line.o + 1;
        state.totalBytes += Buffer.byteLength(JSON.stringify(line.e));
        // Entries the daemon adds itself (messages, permission requests) were not read from stdout.
        const own = line.e.role === "user" || line.e.kind === "permission_request" || line.e.kind === "permission_decision";
        if (line.b > state.position || !own) {
          state.position = Math.max(state.position, line.b);
          state.skipping = line.k === 1;
        }
        if (line.o >= sentOffset) state.unsent.push({ offset: line.o, entry: line.e });
      }
      return state;
    },
    async append(lines) {
      if (lines.length === 0) return;
      await appendFile(paths.journal, lines.map((line) => `${JSON.stringify(line)}\n`).join(""), { mode: 0o600 });
    },
    async range(from, to) {
      const text = await readFile(paths.journal, "utf8").catch(() => "");
      const found: { offset: number; entry: DaemonEntry }[] = [];
      for (const raw of text.split("\n")) {
        const line = parseLine(raw);
        if (line !== undefined && line.o >= from && line.o < to && line.o === from + found.length) found.push({ offset: line.o, entry: line.e });
      }
      return found;
    },
    async saveSent(nextOffset) {
      const temp = `${paths.sent}.${process.pid}.${++tempCounter}.tmp`;
      await writeFile(temp, String(nextOffset), { mode: 0o600 });
      await rename(temp, paths.sent).catch(async (error: unknown) => {
        await rm(temp, { force: true });
        throw error;
      });
    },
  };
}

function parseLine(raw: string): JournalLine | undefined {
  if (raw === "") return undefined;
  try {
    const value = JSON.parse(raw) as Partial<JournalLine>;
    if (typeof value.o !== "number" || typeof value.b !== "number" || typeof value.e !== "object" || value.e === null) return undefined;
    return value as JournalLine;
  } catch {
    return undefined;
  }
}
