import type { JsonObject } from "@bufbuild/protobuf";
import type { DaemonEntry } from "./transcript-entry.js";

/** An object replaced by a prefix of its JSON of `maxBytes / share` bytes. */
function cutObject(value: JsonObject, maxBytes: number, share: number): JsonObject {
  return { _truncated: cutUtf8(JSON.stringify(value), Math.floor(maxBytes / share)) };
}

/** Size of an entry as the daemon counts it: the bytes of its JSON. */
export function entrySize(entry: DaemonEntry): number {
  return Buffer.byteLength(JSON.stringify(entry), "utf8");
}

/** `text` cut to at most `maxBytes` bytes of UTF-8, never inside a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // The first byte left out continues a character: step back to that character's start.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}

/**
 * `entry` within `maxBytes` of JSON: an entry that is larger loses its
 * `detail`, then its tool input (kept as a prefix of its JSON under
 * `_truncated`; a permission request's input and updated input likewise),
 * then the end of its text, and is marked `truncated`.
 */
export function boundEntry(entry: DaemonEntry, maxBytes: number): DaemonEntry {
  if (entrySize(entry) <= maxBytes) return entry;
  const bounded: DaemonEntry = { ...entry, truncated: true };
  delete bounded.detail;
  if (bounded.toolInput !== undefined && entrySize(bounded) > maxBytes) {
    bounded.toolInput = cutObject(bounded.toolInput, maxBytes, 4);
  }
  if (bounded.permission !== undefined && entrySize(bounded) > maxBytes) {
    const permission = { ...bounded.permission, input: cutObject(bounded.permission.input, maxBytes, 8) };
    if (permission.updatedInput !== undefined) permission.updatedInput = cutObject(permission.updatedInput, maxBytes, 8);
    bounded.permission = permission;
  }
  const over = entrySize(bounded) - maxBytes;
  if (over > 0) {
    // JSON escapes can make the text count more than its bytes: cut until it fits.
    let budget = Math.max(0, Buffer.byteLength(bounded.text, "utf8") - over - 16);
    bounded.text = cutUtf8(bounded.text, budget);
    while (entrySize(bounded) > maxBytes && bounded.text.length > 0) {
      budget = Math.floor(budget / 2);
      bounded.text = cutUtf8(bounded.text, budget);
    }
  }
  return bounded;
}
