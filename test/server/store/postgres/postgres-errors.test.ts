import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { isConnectionError, isRetryablePostgresError, postgresError } from "../../../../server/store/postgres/postgres-errors.js";

/** A server error as `pg` reports it, with SQL, a path and a secret in its text. */
function serverError(sqlState: string, severity = "ERROR"): pg.DatabaseError {
  const err = new pg.DatabaseError(
    'duplicate key value violates unique constraint "workspaces_pkey" in INSERT INTO workspaces /srv/pg password=hunter2',
    0,
    "error",
  );
  err.code = sqlState;
  err.severity = severity;
  return err;
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.7:5432`), { code });
}

describe("postgresError", () => {
  it.each([
    ["23505 unique violation", serverError("23505"), Code.AlreadyExists, "workspace already exists"],
    ["23503 foreign key violation", serverError("23503"), Code.FailedPrecondition, "workspace refers to a record that does not exist"],
    ["40001 serialization failure", serverError("40001"), Code.Unavailable, "database is busy, try again"],
    ["40P01 deadlock", serverError("40P01"), Code.Unavailable, "database is busy, try again"],
    ["57014 query canceled", serverError("57014"), Code.Canceled, "request canceled"],
    ["57P01 admin shutdown", serverError("57P01", "FATAL"), Code.Unavailable, "database is unavailable, try again"],
    ["57P03 cannot connect now", serverError("57P03", "FATAL"), Code.Unavailable, "database is unavailable, try again"],
    ["08006 connection failure", serverError("08006", "FATAL"), Code.Unavailable, "database is unavailable, try again"],
    ["53300 too many connections", serverError("53300", "FATAL"), Code.Unavailable, "database is unavailable, try again"],
    ["ECONNREFUSED", socketError("ECONNREFUSED"), Code.Unavailable, "database is unavailable, try again"],
    ["ECONNRESET", socketError("ECONNRESET"), Code.Unavailable, "database is unavailable, try again"],
    ["ENOTFOUND", socketError("ENOTFOUND"), Code.Unavailable, "database is unavailable, try again"],
    [
      "an AggregateError of refused addresses",
      new AggregateError([socketError("ECONNREFUSED"), socketError("ECONNREFUSED")], "connect failed"),
      Code.Unavailable,
      "database is unavailable, try again",
    ],
    ["Connection terminated", new Error("Connection terminated unexpectedly"), Code.Unavailable, "database is unavailable, try again"],
    ["a pool timeout", new Error("timeout exceeded when trying to connect"), Code.Unavailable, "database is unavailable, try again"],
    ["22P02 bad input", serverError("22P02"), Code.Internal, "database error (workspace)"],
    ["42P01 missing table", serverError("42P01"), Code.Internal, "database error (workspace)"],
    ["a foreign error", new RangeError("Too many parameter values /srv/app"), Code.Internal, "database error (workspace)"],
  ])("maps %s to its code with a short message and keeps the cause", (_, original, code, message) => {
    const mapped = postgresError(original, "workspace");
    expect(Code[mapped.code]).toBe(Code[code]);
    expect(mapped.rawMessage).toBe(message);
    expect(mapped.cause).toBe(original);
  });

  it("passes a ConnectError through", () => {
    const err = new ConnectError("stop", Code.Canceled);
    expect(postgresError(err, "session")).toBe(err);
  });
});

describe("isRetryablePostgresError", () => {
  it("holds for serialization failures and deadlocks only", () => {
    expect(isRetryablePostgresError(serverError("40001"))).toBe(true);
    expect(isRetryablePostgresError(serverError("40P01"))).toBe(true);
    expect(isRetryablePostgresError(serverError("23505"))).toBe(false);
    expect(isRetryablePostgresError(socketError("ECONNRESET"))).toBe(false);
    expect(isRetryablePostgresError(undefined)).toBe(false);
  });
});

describe("isConnectionError", () => {
  it("tells a lost connection from a statement the server refused", () => {
    expect(isConnectionError(serverError("08003"))).toBe(true);
    expect(isConnectionError(socketError("EPIPE"))).toBe(true);
    expect(isConnectionError(serverError("23505"))).toBe(false);
    expect(isConnectionError(new Error("boom"))).toBe(false);
    expect(isConnectionError("Connection terminated")).toBe(false);
  });
});
