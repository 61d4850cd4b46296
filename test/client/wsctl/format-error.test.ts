import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { connectCodeName, formatError } from "../../../client/wsctl/format-error.js";

describe("connectCodeName", () => {
  it("gives Connect's snake_case name of every code", () => {
    expect(connectCodeName(Code.Unavailable)).toBe("unavailable");
    expect(connectCodeName(Code.InvalidArgument)).toBe("invalid_argument");
    expect(connectCodeName(Code.DeadlineExceeded)).toBe("deadline_exceeded");
    expect(connectCodeName(Code.FailedPrecondition)).toBe("failed_precondition");
    expect(connectCodeName(Code.Unauthenticated)).toBe("unauthenticated");
    expect(connectCodeName(99 as Code)).toBe("unknown");
  });
});

describe("formatError", () => {
  it("is one line: wsctl <verb>: <code>: <message>", () => {
    const line = formatError("launch", new ConnectError("machine m2 is offline", Code.Unavailable));
    expect(line).toBe("wsctl launch: unavailable: machine m2 is offline\n");
  });

  it("keeps a multi-line message on one line and maps foreign errors", () => {
    expect(formatError("stop", new ConnectError("a\nb", Code.Internal))).toBe("wsctl stop: internal: a b\n");
    expect(formatError("watch", new Error("boom"))).toBe("wsctl watch: unknown: boom\n");
  });
});
