import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { decodePageToken, encodePageToken } from "../../../server/sessions/page-token.js";
import { session } from "../store/store-contract-fixtures.js";

function refusal(token: string): ConnectError {
  try {
    decodePageToken(token);
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    return error as ConnectError;
  }
  throw new Error(`expected ${JSON.stringify(token)} to be refused`);
}

const base64url = (text: string) => Buffer.from(text).toString("base64url");

describe("encodePageToken", () => {
  it("makes a URL-safe token without padding", () => {
    const token = encodePageToken(session({ sessionId: "s/+?=é", createdAt: 1_700_000_000_123 }));
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it("gives different tokens for different positions", () => {
    const a = encodePageToken(session({ sessionId: "s-1", createdAt: 10 }));
    expect(encodePageToken(session({ sessionId: "s-2", createdAt: 10 }))).not.toBe(a);
    expect(encodePageToken(session({ sessionId: "s-1", createdAt: 11 }))).not.toBe(a);
  });
});

describe("decodePageToken", () => {
  it.each([
    ["an ordinary id", 1_700_000_000_123, "3b1f0c5e-aaaa-bbbb-cccc-1234567890ab"],
    ["an id with characters that need escaping", 0, 's/+?="\\é'],
    ["a time of zero and an empty id", 0, ""],
  ])("round-trips the (create time, id) position of %s", (_, createdAt, sessionId) => {
    expect(decodePageToken(encodePageToken(session({ sessionId, createdAt })))).toEqual({ createdAt, sessionId });
  });

  it.each([
    ["an empty token", ""],
    ["text that is not base64 JSON", "not a token!"],
    ["a JSON object", base64url('{"createdAt":1,"sessionId":"s"}')],
    ["a one-element array", base64url("[1]")],
    ["an array of the wrong types", base64url('["1","s"]')],
    ["an array with a number for the id", base64url("[1,2]")],
    ["JSON null", base64url("null")],
    ["truncated JSON", base64url('[1,"s"')],
  ])("refuses %s with invalid_argument", (_, token) => {
    const error = refusal(token);
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("page_token is not a token this server issued");
  });
});
