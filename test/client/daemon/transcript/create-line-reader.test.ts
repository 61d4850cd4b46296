import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLineReader } from "../../../../client/daemon/transcript/create-line-reader.js";

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "wsctl-lines-"));
  file = path.join(dir, "out.log");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("createLineReader", () => {
  it("hands out complete lines as the file grows, with the position after each", () => {
    const reader = createLineReader({ file, maxLineBytes: 100 });
    expect(reader.read().lines).toEqual([]);
    writeFileSync(file, "one\ntw");
    expect(reader.read().lines).toEqual([{ text: "one", end: 4, truncated: false }]);
    expect(reader.position()).toBe(4);
    appendFileSync(file, "o\nthré\n");
    expect(reader.read().lines.map((l) => [l.text, l.end])).toEqual([
      ["two", 8],
      ["thré", 14],
    ]);
    appendFileSync(file, "tail");
    expect(reader.read().lines).toEqual([]);
    expect(reader.flush()).toEqual({ text: "tail", end: 18, truncated: false });
  });

  it("cuts a line longer than the cap and skips its rest, in bounded reads", () => {
    writeFileSync(file, `${"x".repeat(50)}\n${"y".repeat(1000)}\nz\n`);
    const reader = createLineReader({ file, maxLineBytes: 10, maxReadBytes: 64 });
    const lines = [];
    for (let i = 0; i < 100; i++) {
      const { lines: got, more } = reader.read();
      lines.push(...got);
      if (!more) break;
    }
    expect(lines.map((l) => [l.text, l.truncated])).toEqual([
      ["xxxxxxxxxx", true],
      ["yyyyyyyyyy", true],
      ["z", false],
    ]);
  });

  it("resumes from a position, skipping the rest of a cut line when told", () => {
    writeFileSync(file, "aaaa-rest\nb\n");
    const reader = createLineReader({ file, from: 4, skipping: true, maxLineBytes: 100 });
    expect(reader.read().lines.map((l) => l.text)).toEqual(["b"]);
    const plain = createLineReader({ file, from: 10, maxLineBytes: 100 });
    expect(plain.read().lines.map((l) => l.text)).toEqual(["b"]);
  });
});
