import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeOpenError } from "../../../server/errors/describe-open-error.js";
import { openStore } from "../../../server/store/open-store.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wsctl-open-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failureOf(database: string): Promise<unknown> {
  try {
    const store = await openStore(database);
    await store.close();
  } catch (error) {
    return error;
  }
  throw new Error("expected openStore to fail");
}

describe("describeOpenError", () => {
  it("says a file is not a SQLite database", async () => {
    const file = path.join(dir, "notes.txt");
    await writeFile(file, "these are notes, not a database\n".repeat(20));
    expect(describeOpenError(await failureOf(file), file)).toBe(`${file} is not a SQLite database (or it is encrypted or corrupt)`);
  });

  it("hints at npm rebuild when the native binding is missing", () => {
    const error = new Error("Could not locate the bindings file. Tried:\n → /x/build/better_sqlite3.node");
    expect(describeOpenError(error, "db")).toMatch(/^the SQLite native binding \(better-sqlite3\) is missing .*run `npm rebuild better-sqlite3`/);
  });

  it("names the path a permission was denied on", () => {
    const denied = Object.assign(new Error("EACCES: permission denied, mkdir '/var/lib/wsctl'"), { code: "EACCES", path: "/var/lib/wsctl" });
    const wrapped = new Error("database error", { cause: denied });
    expect(describeOpenError(wrapped, "/var/lib/wsctl/wsctl.db")).toMatch(/^permission denied on \/var\/lib\/wsctl \(EACCES\)/);
  });

  it("keeps the store's message and its innermost cause for anything else", () => {
    expect(describeOpenError(new Error("database is unavailable", { cause: new Error("connect ECONNREFUSED") }), "db")).toBe(
      "database is unavailable (connect ECONNREFUSED)",
    );
    expect(describeOpenError(new Error("database error (database)", { cause: new Error("disk I/O error") }), "db")).toBe("disk I/O error");
  });
});
