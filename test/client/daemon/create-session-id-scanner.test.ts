import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSessionIdScanner, sessionIdFromLine } from "../../../client/daemon/create-session-id-scanner.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wsctl-scanner-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("createSessionIdScanner", () => {
  it("finds the id once its line is complete, reading only what was appended", async () => {
    const file = path.join(dir, "stdout");
    const scanner = createSessionIdScanner(file);
    expect(scanner.scan()).toBeUndefined();
    await writeFile(file, 'not json\n{"type":"system","session_id":"abc');
    expect(scanner.scan()).toBeUndefined();
    await appendFile(file, '-123"}\n{"session_id":"later"}\n');
    expect(scanner.scan()).toBe("abc-123");
    expect(scanner.scan()).toBe("abc-123");
  });
});

describe("sessionIdFromLine", () => {
  it("reads codex's thread id and any event's session_id", () => {
    expect(sessionIdFromLine('{"type":"thread.started","thread_id":"t1"}')).toBe("t1");
    expect(sessionIdFromLine(' {"type":"system","session_id":"s1"} ')).toBe("s1");
  });

  it("ignores lines without one", () => {
    for (const line of ["", "hello", "{", '{"session_id":""}', '{"type":"thread.started"}', "[1]"]) {
      expect(sessionIdFromLine(line)).toBeUndefined();
    }
  });
});
