import { Code, ConnectError } from "@connectrpc/connect";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { sqliteError, throwIfAborted } from "../../../../server/store/sqlite/sqlite-errors.js";

const engine = (code: string) => new Database.SqliteError("UNIQUE constraint failed: workspaces.workspace_id /srv/db", code);

describe("sqliteError", () => {
  it.each([
    ["SQLITE_CONSTRAINT_PRIMARYKEY", Code.AlreadyExists, "workspace already exists"],
    ["SQLITE_CONSTRAINT_UNIQUE", Code.AlreadyExists, "workspace already exists"],
    ["SQLITE_CONSTRAINT_FOREIGNKEY", Code.FailedPrecondition, "workspace refers to a record that does not exist"],
    ["SQLITE_BUSY", Code.Unavailable, "database is busy, try again"],
    ["SQLITE_BUSY_SNAPSHOT", Code.Unavailable, "database is busy, try again"],
    ["SQLITE_LOCKED", Code.Unavailable, "database is busy, try again"],
    ["SQLITE_CONSTRAINT_NOTNULL", Code.Internal, "database error (workspace)"],
    ["SQLITE_FULL", Code.Unavailable, "database unavailable: disk full"],
    ["SQLITE_IOERR", Code.Unavailable, "database unavailable: I/O error on the database file"],
    ["SQLITE_IOERR_WRITE", Code.Unavailable, "database unavailable: I/O error on the database file"],
    ["SQLITE_READONLY", Code.Unavailable, "database unavailable: database file is read-only"],
    ["SQLITE_READONLY_DBMOVED", Code.Unavailable, "database unavailable: database file moved or deleted: restart the server"],
    ["SQLITE_CORRUPT", Code.Unavailable, "database unavailable: database file is corrupt"],
  ])("maps %s to its code with a short message and keeps the cause", (sqliteCode, code, message) => {
    const original = engine(sqliteCode);
    const mapped = sqliteError(original, "workspace");
    expect(mapped.code).toBe(code);
    expect(mapped.rawMessage).toBe(message);
    expect(mapped.cause).toBe(original);
  });

  it("maps a foreign error to internal without its message", () => {
    const mapped = sqliteError(new RangeError("Too many parameter values were provided"), "session");
    expect(mapped.code).toBe(Code.Internal);
    expect(mapped.rawMessage).toBe("database error (session)");
  });

  it("passes a ConnectError through", () => {
    const err = new ConnectError("stop", Code.Canceled);
    expect(sqliteError(err, "session")).toBe(err);
  });
});

describe("throwIfAborted", () => {
  it("throws canceled only for an aborted signal", () => {
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow();
    expect(() => throwIfAborted(AbortSignal.abort())).toThrow(expect.objectContaining({ code: Code.Canceled }));
  });
});
