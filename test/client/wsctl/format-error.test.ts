import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { formatError } from "../../../client/wsctl/format-error.js";

describe("formatError", () => {
  it("names the code the way the API documents it (snake_case)", () => {
    const name = (code: Code) => formatError("v", new ConnectError("m", code));
    expect(name(Code.InvalidArgument)).toBe("wsctl v: invalid_argument: m\n");
    expect(name(Code.DeadlineExceeded)).toBe("wsctl v: deadline_exceeded: m\n");
    expect(name(Code.FailedPrecondition)).toBe("wsctl v: failed_precondition: m\n");
    expect(name(Code.Unauthenticated)).toBe("wsctl v: unauthenticated: m\n");
  });

  it("is one line: wsctl <verb>: <code>: <message>", () => {
    const line = formatError("launch", new ConnectError("machine m2 is offline", Code.Unavailable));
    expect(line).toBe("wsctl launch: unavailable: machine m2 is offline\n");
  });

  it("keeps a multi-line message on one line and maps foreign errors", () => {
    expect(formatError("stop", new ConnectError("a\nb", Code.Internal))).toBe("wsctl stop: internal: a b\n");
    expect(formatError("watch", new Error("boom"))).toBe("wsctl watch: unknown: boom\n");
  });
});
