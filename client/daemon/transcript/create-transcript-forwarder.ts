import type { AgentProvider } from "../agent-argv.js";
import { sleep } from "../create-backoff.js";
import { boundEntry, entrySize } from "./bound-entry.js";
import { createLineReader, type LineReader } from "./create-line-reader.js";
import type { JournalLine, TranscriptJournal } from "./create-transcript-journal.js";
import { parseAgentLine } from "./parse-agent-line.js";
import type { DaemonEntry } from "./transcript-entry.js";

/** Size caps of transcripts. */
export interface TranscriptLimits {
  /** Largest entry, as JSON; a larger one is cut and marked `truncated`. Default 64 KiB. */
  maxEntryBytes?: number;
  /**
   * Most bytes of entries per session; past it one `truncated` error entry
   * says so and later agent output is dropped, but turn results and messages
   * sent to the agent are still kept. Default 8 MiB.
   */
  maxSessionBytes?: number;
}

export const defaultTranscriptLimits = { maxEntryBytes: 64 * 1024, maxSessionBytes: 8 * 1024 * 1024 };

export interface TranscriptForwarderOptions {
  sessionId: string;
  provider: AgentProvider;
  /** The agent's stdout file. */
  stdoutPath: string;
  journal: TranscriptJournal;
  /** Sends entries from `fromOffset` (AppendTranscript); resolves with the server's next offset. */
  send: (fromOffset: number, entries: readonly DaemonEntry[]) => Promise<number>;
  limits?: TranscriptLimits;
  /** How often stdout is read; default 100 ms. */
  pollMs?: number;
  /** Most entries per call; default 200. */
  batchSize?: number;
  log: (line: string) => void;
  /** The daemon's shutdown: stops retrying. */
  signal: AbortSignal;
  now?: () => number;
}

/** One session's transcript: read from the agent's stdout, journaled, forwarded in order. */
export interface TranscriptForwarder {
  /** Loads the journal (resuming where it stood) or starts one with the initial prompt as its first entry, then follows stdout. */
  start(initialPrompt?: string): Promise<void>;
  /** Adds a message sent to the agent as a USER entry; resolves with its offset once journaled. */
  appendUser(text: string): Promise<number>;
  /**
   * Adds an entry of the daemon's own after what stdout holds so far (a
   * permission request or decision); resolves with its offset once journaled.
   */
  append(entry: DaemonEntry): Promise<number>;
  /** Sends what waits now (after a reconnect). */
  kick(): void;
  /** Reads stdout to its end and delivers every entry, retrying until the server has them all or the daemon stops. */
  finish(): Promise<void>;
  /** Stops reading and sending (the journal keeps what was not sent). */
  stop(): void;
}

const keptPastCap = new Set<DaemonEntry["kind"]>(["result", "permission_request", "permission_decision"]);

export function createTranscriptForwarder(options: TranscriptForwarderOptions): TranscriptForwarder {
  const { journal, log, signal } = options;
  const limits = { ...defaultTranscriptLimits, ...options.limits };
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 200;
  const what = `session ${options.sessionId}: transcript`;
  let reader: LineReader | undefined;
  let nextOffset = 0;
  let sentOffset = 0;
  let totalBytes = 0;
  let capped = false;
  const pending: { offset: number; entry: DaemonEntry }[] = [];
  let sending: Promise<boolean> | undefined;
  let retryDelay = 0;
  /** Cuts the current retry wait short (see `kick`). */
  let wake: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // Journal writes run one after another, in offset order.
  let writes: Promise<void> = Promise.resolve();

  function admit(entry: DaemonEntry, at: { b: number; k?: 1 }, lines: JournalLine[]): number {
    const bounded = boundEntry(entry, limits.maxEntryBytes);
    const size = entrySize(bounded);
    if (!capped && totalBytes + size > limits.maxSessionBytes) {
      capped = true;
      const notice: DaemonEntry = {
        role: "system",
        kind: "error",
        text: `the transcript reached its limit of ${limits.maxSessionBytes} bytes: later output of the agent is only in its log on the machine`,
        truncated: true,
        agentTime: now(),
      };
      push(notice, at, lines);
    }
    if (capped && entry.role !== "user" && !keptPastCap.has(entry.kind)) return -1;
    return push(bounded, at, lines);
  }

  function push(entry: DaemonEntry, at: { b: number; k?: 1 }, lines: JournalLine[]): number {
    const offset = nextOffset++;
    totalBytes += entrySize(entry);
    pending.push({ offset, entry });
    lines.push({ o: offset, e: entry, ...at });
    return offset;
  }

  /** Reads what stdout has now; the entries go to the journal, then out. */
  function ingest(final: boolean): Promise<void> {
    if (reader === undefined) return writes;
    const lines: JournalLine[] = [];
    for (;;) {
      const { lines: read, more } = reader.read();
      for (const line of read) {
        const at = { b: line.end, ...(reader.skipping() && line.truncated ? { k: 1 as const } : {}) };
        for (const entry of parseAgentLine(options.provider, line.text, now())) {
          admit(line.truncated ? { ...entry, truncated: true } : entry, at, lines);
        }
      }
      if (!more) break;
    }
    if (final) {
      const last = reader.flush();
      if (last) for (const entry of parseAgentLine(options.provider, last.text, now())) admit(entry, { b: last.end }, lines);
    }
    if (lines.length > 0) writes = writes.then(() => journal.append(lines)).catch((error: unknown) => log(`daemon: ${what}: journal write failed: ${(error as Error).message}`));
    return writes;
  }

  async function sendOnce(): Promise<void> {
    await writes;
    while (pending.length > 0 && !stopped) {
      const batch = pending.slice(0, batchSize);
      const from = batch[0]!.offset;
      const next = await options.send(from, batch.map((p) => p.entry));
      if (next < from) {
        // The server lost entries it had confirmed (a restored database): send them again from the journal.
        log(`daemon: ${what}: the server expects offset ${next}, before ${from}; resending from the journal`);
        const missing = await journal.range(next, from);
        if (missing.length !== from - next) throw new Error(`the journal no longer holds entries ${next} to ${from - 1}`);
        pending.unshift(...missing);
        continue;
      }
      const confirmed = next;
      while (pending.length > 0 && pending[0]!.offset < confirmed) pending.shift();
      if (confirmed > sentOffset) {
        sentOffset = confirmed;
        await journal.saveSent(sentOffset).catch((error: unknown) => log(`daemon: ${what}: could not save the sent offset: ${(error as Error).message}`));
      }
      if (next > from + batch.length) break;
    }
  }

  /** Sends what waits, one call at a time; false when a call failed (after waiting out the retry delay). */
  function pump(): Promise<boolean> {
    if (sending !== undefined) return sending;
    if (pending.length === 0 || stopped) return Promise.resolve(true);
    sending = sendOnce()
      .then(
        () => {
          retryDelay = 0;
          return true;
        },
        async (error: unknown) => {
          retryDelay = Math.min(5_000, Math.max(200, retryDelay * 2));
          log(`daemon: ${what}: sending failed (${(error as Error).message}); retrying in ${retryDelay} ms`);
          wake = new AbortController();
          await sleep(retryDelay, AbortSignal.any([signal, wake.signal])).catch(() => undefined);
          wake = undefined;
          return false;
        },
      )
      .finally(() => {
        sending = undefined;
      });
    return sending;
  }

  const tick = () => {
    void ingest(false).then(() => {
      if (!signal.aborted) void pump();
    });
  };

  const forwarder: TranscriptForwarder = {
    async start(initialPrompt) {
      const state = await journal.load();
      if (state !== undefined) {
        nextOffset = state.nextOffset;
        sentOffset = state.sentOffset;
        totalBytes = state.totalBytes;
        capped = totalBytes >= limits.maxSessionBytes;
        pending.push(...state.unsent);
      }
      reader = createLineReader({
        file: options.stdoutPath,
        from: state?.position ?? 0,
        skipping: state?.skipping ?? false,
        maxLineBytes: Math.max(limits.maxEntryBytes, 1024 * 1024),
      });
      if (state === undefined && initialPrompt) {
        const lines: JournalLine[] = [];
        admit({ role: "user", kind: "text", text: initialPrompt, agentTime: now() }, { b: 0 }, lines);
        writes = writes.then(() => journal.append(lines));
        await writes;
      }
      timer = setInterval(tick, options.pollMs ?? 100);
      timer.unref();
      tick();
    },
    appendUser(text) {
      return forwarder.append({ role: "user", kind: "text", text, agentTime: now() });
    },
    async append(entry) {
      await ingest(false);
      const lines: JournalLine[] = [];
      const offset = admit(entry, { b: reader?.position() ?? 0 }, lines);
      writes = writes.then(() => journal.append(lines));
      await writes;
      void pump();
      return offset;
    },
    kick() {
      retryDelay = 0;
      // A reconnect ends the wait for a retry: what waits goes now, not after the backoff.
      wake?.abort();
      void pump();
    },
    async finish() {
      clearInterval(timer);
      await ingest(true);
      // While the daemon shuts down, one try each: what is left stays in the journal.
      while (pending.length > 0 && !stopped) if (!(await pump()) && signal.aborted) break;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
  return forwarder;
}
