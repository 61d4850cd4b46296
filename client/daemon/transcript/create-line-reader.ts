import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** One complete line of the file. */
export interface ReadLine {
  text: string;
  /** Byte position in the file right after this line (or, for a cut line, after the bytes read so far). */
  end: number;
  /** The line was longer than the reader keeps: `text` is its beginning; the rest is skipped. */
  truncated: boolean;
}

/** Reads a growing file line by line, from a byte position, in bounded memory. */
export interface LineReader {
  /** Reads what was appended since the last call, at most `maxReadBytes`; `more` when there is more to read now. */
  read(): { lines: ReadLine[]; more: boolean };
  /** The partial last line as a line (the writer is done and will not end it). */
  flush(): ReadLine | undefined;
  /** Byte position just after the last complete line handed out. */
  position(): number;
  /** Whether the reader is in the middle of skipping the rest of a cut line. */
  skipping(): boolean;
}

export interface LineReaderOptions {
  file: string;
  /** Byte position to start at; default 0. */
  from?: number;
  /** Start in the middle of a cut line (its rest is skipped up to the next newline). */
  skipping?: boolean;
  /** Longest line kept; longer ones are cut to this many bytes. */
  maxLineBytes: number;
  /** Most bytes read per `read()`; default 1 MiB. */
  maxReadBytes?: number;
}

/**
 * A line reader over `file`: a missing file has no lines yet. Memory is bounded
 * by `maxLineBytes` (the partial line) plus one read.
 */
export function createLineReader(options: LineReaderOptions): LineReader {
  const { file, maxLineBytes } = options;
  const maxRead = options.maxReadBytes ?? 1024 * 1024;
  let offset = options.from ?? 0;
  let lineStart = offset;
  let skip = options.skipping ?? false;
  let partial: Buffer[] = [];
  let partialBytes = 0;
  // Bytes of the partial line were left out: it is cut.
  let over = false;

  const take = (chunk: Buffer) => {
    const room = maxLineBytes - partialBytes;
    if (chunk.length > room) over = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    partial.push(Buffer.from(kept));
    partialBytes += kept.length;
  };
  const lineText = () => Buffer.concat(partial).toString("utf8");

  return {
    read() {
      let fd: number;
      try {
        fd = openSync(file, "r");
      } catch {
        return { lines: [], more: false };
      }
      try {
        const size = fstatSync(fd).size;
        if (size <= offset) return { lines: [], more: false };
        const buffer = Buffer.allocUnsafe(Math.min(size - offset, maxRead));
        const got = readSync(fd, buffer, 0, buffer.length, offset);
        const lines: ReadLine[] = [];
        let start = 0;
        for (let i = buffer.indexOf(10, 0); i !== -1 && i < got; i = buffer.indexOf(10, start)) {
          if (skip) skip = false;
          else {
            take(buffer.subarray(start, i));
            lines.push({ text: lineText(), end: offset + i + 1, truncated: over });
          }
          partial = [];
          partialBytes = 0;
          over = false;
          start = i + 1;
          lineStart = offset + start;
        }
        if (!skip && start < got) {
          take(buffer.subarray(start, got));
          if (partialBytes >= maxLineBytes && over) {
            // Too long to keep: hand out its beginning now, skip the rest.
            lines.push({ text: lineText(), end: offset + got, truncated: true });
            partial = [];
            partialBytes = 0;
            over = false;
            skip = true;
            lineStart = offset + got;
          }
        } else if (skip) {
          lineStart = offset + got;
        }
        offset += got;
        return { lines, more: offset < size };
      } catch {
        return { lines: [], more: false };
      } finally {
        closeSync(fd);
      }
    },
    flush() {
      if (partialBytes === 0 || skip) return undefined;
      const line = { text: lineText(), end: offset, truncated: false };
      partial = [];
      partialBytes = 0;
      lineStart = offset;
      return line;
    },
    position: () => lineStart,
    skipping: () => skip,
  };
}
