import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFileTail, readLastLines } from "../../../client/daemon/read-file-tail.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wsctl-tail-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readFileTail", () => {
  it("returns the last bytes, dropping a character cut at the start", async () => {
    const file = path.join(dir, "out");
    await writeFile(file, "abcé"); // é is two bytes
    expect(readFileTail(file, 100)).toBe("abcé");
    expect(readFileTail(file, 2)).toBe("é");
    expect(readFileTail(file, 1)).toBe("");
  });

  it("is empty for a file it cannot read", () => {
    expect(readFileTail(path.join(dir, "missing"), 10)).toBe("");
  });
});

describe("readLastLines", () => {
  it("returns the last lines without the empty one after a final newline", async () => {
    const file = path.join(dir, "err");
    await writeFile(file, "one\ntwo\nthree\n");
    expect(readLastLines(file, 2)).toEqual(["two", "three"]);
    expect(readLastLines(path.join(dir, "missing"), 2)).toEqual([]);
  });
});
