import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";

/** Reads an agent's stdout file as it grows and finds its session id. */
export interface SessionIdScanner {
  /** Reads what was appended since the last call; returns the session id once seen. */
  scan(): string | undefined;
  /** Whether a line proving the agent alive was seen (see `isProofOfLife`); false without one. */
  alive(): boolean;
}

/** Most bytes one scan() reads; the rest waits for the next call. */
const scanChunkBytes = 1024 * 1024;
/** A line longer than this cannot be an event holding the id: it is skipped. */
const partialLineLimit = 1024 * 1024;

/**
 * A scanner over the agent's stdout file `file`: each `scan()` reads what was
 * appended since the last one (at most 1 MiB) and looks for the first line
 * that names the session (see `sessionIdFromLine`). A missing file is not yet
 * written; a line over 1 MiB is skipped whole.
 */
export function createSessionIdScanner(file: string, isProofOfLife?: (event: Record<string, unknown>) => boolean): SessionIdScanner {
  let offset = 0;
  let alive = false;
  const proofWanted = () => isProofOfLife !== undefined && !alive;
  let partial = "";
  let skipping = false;
  let found: string | undefined;
  const decoder = new StringDecoder("utf8");
  return {
    alive: () => alive,
    scan() {
      if (found !== undefined && !proofWanted()) return found;
      let fd: number;
      try {
        fd = openSync(file, "r");
      } catch {
        return undefined;
      }
      try {
        const size = fstatSync(fd).size;
        if (size < offset) return undefined;
        const buffer = Buffer.alloc(Math.min(size - offset, scanChunkBytes));
        const read = readSync(fd, buffer, 0, buffer.length, offset);
        offset += read;
        const parts = (partial + decoder.write(buffer.subarray(0, read))).split("\n");
        partial = parts.pop() ?? "";
        for (const line of parts) {
          if (skipping) {
            skipping = false;
            continue;
          }
          found ??= sessionIdFromLine(line);
          if (proofWanted() && isProofOfLife!(eventOf(line) ?? {})) alive = true;
        }
        if (partial.length > partialLineLimit) {
          partial = "";
          skipping = true;
        }
        return found;
      } catch {
        return found;
      } finally {
        closeSync(fd);
      }
    },
  };
}

/**
 * A thread/session id from one stdout line of JSON, if it holds one: codex's
 * `{"type":"thread.started","thread_id":…}` or any event with `session_id`.
 */
export function sessionIdFromLine(line: string): string | undefined {
  const event = eventOf(line);
  if (event === undefined) return undefined;
  if (event.type === "thread.started" && typeof event.thread_id === "string" && event.thread_id !== "") {
    return event.thread_id;
  }
  if (typeof event.session_id === "string" && event.session_id !== "") return event.session_id;
  return undefined;
}

/** The JSON object on one line, if it holds one. */
function eventOf(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
