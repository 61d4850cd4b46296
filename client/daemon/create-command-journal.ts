import { createHash } from "node:crypto";
import { type FileHandle, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { type JournalEntry, type JournalResult, journalLines, parseJournalLines, resultLine } from "./journal-lines.js";

export type { JournalEntry, JournalResult } from "./journal-lines.js";

/** Options of createCommandJournal. */
export interface CommandJournalOptions {
  /** The journal file; see commandJournalFile(). Its directory is created (mode 0700). */
  file: string;
  /** Command ids kept: the newest `maxEntries`; default 10 000. */
  maxEntries?: number;
  /** Command ids older than this are dropped; default 7 days. */
  maxAgeMs?: number;
  /** Clock; default Date.now. */
  now?: () => number;
  /** Default: nothing is logged. */
  log?: (line: string) => void;
}

/**
 * The daemon's memory of the commands it received, so that it carries out a
 * command at most once across reconnects and restarts.
 *
 * On disk it is JSON Lines (a `received` line per command, then its `result`
 * line; see journal-lines.ts), appended and flushed with fdatasync before the
 * returned promise settles; appends that arrive together share one write and
 * one fdatasync.
 *
 * It is read once, by open(); lookups are in memory. A line that does not
 * parse (a write torn by a crash) is skipped. Bounds: the newest `maxEntries`
 * ids (10 000) younger than `maxAgeMs` (7 days) are kept; the file is
 * rewritten with just those (temp file, fsync, rename, fsync of the
 * directory) when it is opened with anything to drop or a torn line, and
 * whenever it has grown to four lines per kept id, so it stays under about
 * twice its live size. One daemon process per file.
 */
export interface CommandJournal {
  readonly file: string;
  /** Reads the file (once), drops torn lines and what is out of bounds, and opens it for appending. */
  open(): Promise<void>;
  /** What is known of `commandId`; in memory only. */
  get(commandId: string): JournalEntry | undefined;
  /** Records that a command was received, before it is carried out; resolves once it is on disk. */
  received(command: { commandId: string; kind: string; sessionId: string }): Promise<void>;
  /** Records a command's result; resolves once it is on disk. Visible to get() at once. */
  finished(commandId: string, result: JournalResult): Promise<void>;
  /** Number of command ids kept. */
  size(): number;
  /** Waits for pending appends and closes the file. */
  close(): Promise<void>;
}

/** Default bound on the command ids kept. */
export const defaultJournalEntries = 10_000;
/** Default bound on the age of the command ids kept: 7 days. */
export const defaultJournalAgeMs = 7 * 24 * 60 * 60 * 1000;

/**
 * Where the journal of the daemon with `token` lives: `<stateDir>/commands/<hash>.jsonl`,
 * named after a hash of the machine token (never the token itself), so it does
 * not depend on which server, or in which order, the daemon is given.
 */
export function commandJournalFile(stateDir: string, token: string): string {
  const key = createHash("sha256").update(`command-journal\n${token}`).digest("hex").slice(0, 16);
  return path.join(stateDir, "commands", `${key}.jsonl`);
}

export function createCommandJournal(options: CommandJournalOptions): CommandJournal {
  const { file } = options;
  const dir = path.dirname(file);
  const maxEntries = Math.max(1, options.maxEntries ?? defaultJournalEntries);
  const maxAgeMs = options.maxAgeMs ?? defaultJournalAgeMs;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  // In file order, so the first key is the oldest.
  const entries = new Map<string, JournalEntry>();
  let handle: FileHandle | undefined;
  let fileLines = 0;
  let queue: { text: string; lines: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let writing: Promise<void> | undefined;
  // Set when an append failed: the file may end in a torn line, so it is rewritten before the next one.
  let damaged = false;

  /** Adds or replaces an entry, dropping the oldest ones out of bounds. */
  const keep = (entry: JournalEntry) => {
    entries.delete(entry.commandId);
    entries.set(entry.commandId, entry);
    prune();
  };
  const prune = (): number => {
    const oldest = now() - maxAgeMs;
    let dropped = 0;
    for (const [id, entry] of entries) {
      if (entries.size <= maxEntries && entry.receivedAt >= oldest) break;
      entries.delete(id);
      dropped += 1;
    }
    return dropped;
  };

  const append = (lines: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      queue.push({ text: lines.join(""), lines: lines.length, resolve, reject });
      writing ??= writeQueued();
    });

  async function writeQueued(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        if (handle === undefined) throw new Error("the command journal is not open");
        if (damaged) {
          await rewrite();
          damaged = false;
        }
        await handle.appendFile(batch.map((item) => item.text).join(""));
        await handle.datasync();
        for (const item of batch) {
          fileLines += item.lines;
          item.resolve();
        }
      } catch (error) {
        damaged = handle !== undefined;
        for (const item of batch) item.reject(error);
      }
      if (fileLines >= 4 * maxEntries) {
        prune();
        await rewrite().catch((error: unknown) => {
          // Tried again once as many lines more were appended.
          fileLines = 3 * maxEntries;
          log(`daemon: could not compact the command journal ${file}: ${(error as Error).message}`);
        });
      }
    }
    writing = undefined;
  }

  /** Replaces the file by the entries kept, durably, and reopens it for appending. */
  async function rewrite(): Promise<void> {
    const lines = [...entries.values()].flatMap(journalLines);
    const temp = `${file}.tmp`;
    const out = await open(temp, "w", 0o600);
    try {
      await out.writeFile(lines.join(""));
      await out.sync();
    } finally {
      await out.close();
    }
    try {
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await syncDirectory(dir);
    const previous = handle;
    handle = await open(file, "a", 0o600);
    fileLines = lines.length;
    await previous?.close();
  }

  return {
    file,
    async open() {
      const created = await mkdir(dir, { recursive: true, mode: 0o700 });
      if (created !== undefined) await syncDirectory(path.dirname(created));
      let text = "";
      try {
        text = await readFile(file, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      const loaded = parseJournalLines(text);
      for (const entry of loaded.entries) entries.set(entry.commandId, entry);
      const dropped = prune();
      if (loaded.skipped > 0) log(`daemon: skipped ${loaded.skipped} torn or unreadable line(s) of ${file}`);
      fileLines = loaded.lines;
      const torn = text !== "" && !text.endsWith("\n");
      if (text === "" || torn || loaded.skipped > 0 || dropped > 0) await rewrite();
      else handle = await open(file, "a", 0o600);
    },
    get: (commandId) => entries.get(commandId),
    received(command) {
      const entry: JournalEntry = { ...command, receivedAt: now() };
      keep(entry);
      return append(journalLines(entry));
    },
    finished(commandId, result) {
      const known = entries.get(commandId);
      const at = now();
      if (known !== undefined) Object.assign(known, { result, finishedAt: at });
      else keep({ commandId, kind: "", sessionId: "", receivedAt: at, result, finishedAt: at });
      return append([resultLine(commandId, result, at)]);
    },
    size: () => entries.size,
    async close() {
      while (writing !== undefined) await writing;
      await handle?.close();
      handle = undefined;
    },
  };
}

/** Makes a rename or a new file in `dir` durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
