import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/**
 * The last `maxBytes` bytes of `file` as UTF-8 text ("" when it cannot be
 * read); a character cut at the start is dropped.
 */
export function readFileTail(file: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return "";
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    let from = 0;
    // Skip UTF-8 continuation bytes of a character cut by the start.
    while (start > 0 && from < read && ((buffer[from] ?? 0) & 0xc0) === 0x80) from++;
    return buffer.subarray(from, read).toString("utf8");
  } catch {
    return "";
  } finally {
    closeSync(fd);
  }
}

/** The last `maxLines` complete or partial lines of `file` (read from its last 64 KiB). */
export function readLastLines(file: string, maxLines: number): string[] {
  const text = readFileTail(file, 64 * 1024);
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.slice(-maxLines);
}
