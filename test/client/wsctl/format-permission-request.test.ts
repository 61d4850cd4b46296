import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { deciderName, formatExpiry, formatSpan } from "../../../client/wsctl/format-permission-request.js";
import { PermissionRequestSchema } from "../../../gen/workspaces/v1/permission_pb.js";

describe("formatSpan", () => {
  it("rounds down to seconds, minutes, then hours and minutes", () => {
    expect([0, 999, 59_999, 60_000, 3_599_999, 3_600_000, 3_900_000, -5].map(formatSpan)).toEqual(["0s", "0s", "59s", "1m", "59m", "1h", "1h 5m", "0s"]);
  });
});

describe("formatExpiry", () => {
  it("says how long is left, overdue once passed, and - without an expiry", () => {
    const at = (ms: number) => create(PermissionRequestSchema, { expireTime: timestampFromMs(ms) });
    expect(formatExpiry(at(10_000 + 125_000), 10_000)).toBe("in 2m");
    expect(formatExpiry(at(10_000), 10_000)).toBe("overdue");
    expect(formatExpiry(create(PermissionRequestSchema), 10_000)).toBe("-");
  });
});

describe("deciderName", () => {
  it("names a token by its id and the automatic deciders in words", () => {
    expect(["tok_1", "timeout", "remembered", ""].map(deciderName)).toEqual(["tok_1", "the approval timeout", "a remembered rule", "?"]);
  });
});
