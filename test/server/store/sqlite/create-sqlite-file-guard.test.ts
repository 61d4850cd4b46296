import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSqliteFileGuard } from "../../../../server/store/sqlite/create-sqlite-file-guard.js";
import { nextTurn } from "../../../support/next-turn.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wsctl-file-guard-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));


describe("createSqliteFileGuard", () => {
  it("passes while the file is the one opened", async () => {
    const path = join(dir, "db");
    writeFileSync(path, "");
    const guard = createSqliteFileGuard(path);
    guard.check();
    await nextTurn();
    guard.check();
  });

  it("notices a deletion from the next turn of the event loop on, and keeps refusing", async () => {
    const path = join(dir, "db");
    writeFileSync(path, "");
    const guard = createSqliteFileGuard(path);
    guard.check();
    unlinkSync(path);
    // The same turn shares the check made at its start.
    expect(() => guard.check()).not.toThrow();
    await nextTurn();
    expect(() => guard.check()).toThrow(expect.objectContaining({ code: Code.Unavailable, rawMessage: expect.stringMatching(/deleted/) }));
    writeFileSync(path, "");
    await nextTurn();
    expect(() => guard.check()).toThrow(expect.objectContaining({ code: Code.Unavailable }));
  });

  it("notices a file replaced by another", async () => {
    const path = join(dir, "db");
    writeFileSync(path, "");
    const guard = createSqliteFileGuard(path);
    writeFileSync(join(dir, "other"), "");
    renameSync(join(dir, "other"), path);
    expect(() => guard.check()).toThrow(expect.objectContaining({ code: Code.Unavailable, rawMessage: expect.stringMatching(/replaced/) }));
  });

  it("guards nothing for an in-memory database", () => {
    expect(() => createSqliteFileGuard(":memory:").check()).not.toThrow();
  });
});
