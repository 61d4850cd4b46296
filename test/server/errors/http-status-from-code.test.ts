import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { allCodeNames, codesWithStatus, httpStatusFromCode } from "../../../server/errors/http-status-from-code.js";

// DESIGN.md's table, written out so that a Connect release changing its own fails here.
const designTable: [Code, number][] = [
  [Code.Canceled, 499],
  [Code.Unknown, 500],
  [Code.InvalidArgument, 400],
  [Code.DeadlineExceeded, 504],
  [Code.NotFound, 404],
  [Code.AlreadyExists, 409],
  [Code.PermissionDenied, 403],
  [Code.ResourceExhausted, 429],
  [Code.FailedPrecondition, 400],
  [Code.Aborted, 409],
  [Code.OutOfRange, 400],
  [Code.Unimplemented, 501],
  [Code.Internal, 500],
  [Code.Unavailable, 503],
  [Code.DataLoss, 500],
  [Code.Unauthenticated, 401],
];

describe("httpStatusFromCode", () => {
  it("maps every Connect code to the status DESIGN.md names", () => {
    expect(designTable.map(([code]) => [code, httpStatusFromCode(code)])).toEqual(designTable);
  });

  it("answers 500 for a code it does not know", () => {
    expect(httpStatusFromCode(99 as Code)).toBe(500);
  });
});

describe("codesWithStatus", () => {
  it("lists the codes mapped to a status, in the codes' order", () => {
    expect(codesWithStatus(400)).toEqual([Code.InvalidArgument, Code.FailedPrecondition, Code.OutOfRange]);
    expect(codesWithStatus(500)).toEqual([Code.Unknown, Code.Internal, Code.DataLoss]);
    expect(codesWithStatus(200)).toEqual([]);
  });
});

describe("allCodeNames", () => {
  it("names all sixteen codes as the Connect protocol writes them, in order", () => {
    const names = allCodeNames();
    expect(names).toHaveLength(16);
    expect(names.slice(0, 3)).toEqual(["canceled", "unknown", "invalid_argument"]);
    expect(names.at(-1)).toBe("unauthenticated");
  });
});
