import type { JsonObject } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ackPatch, errorMessageOf } from "../../../server/sessions/ack-patch.js";

describe("errorMessageOf", () => {
  it("joins the error's code and message", () => {
    expect(errorMessageOf({ error: { code: "git_failed", message: "not a repository" } })).toBe("git_failed: not a repository");
  });

  it("gives the message alone when there is no code", () => {
    expect(errorMessageOf({ error: { message: "no such workspace root" } })).toBe("no such workspace root");
  });

  it.each<JsonObject>([{}, { error: "flat string" }, { error: ["x"] }, { error: { code: "c" } }, { error: { message: 5 } }, { error: null }])(
    "falls back to a generic message for %j",
    (payload) => {
      expect(errorMessageOf(payload)).toBe("the daemon reported an error");
    },
  );
});

describe("ackPatch", () => {
  it("writes the acknowledgement and what the daemon reported, and nothing it did not", () => {
    const result = { status: "ok", payload: { session_id: "s", agent_session_id: "a-1", provider: "claude_code", pid: 7 } };
    expect(ackPatch(result)).toEqual({
      patch: { acknowledgement: result, agentSessionId: "a-1", provider: "claude_code", pid: 7, errorMessage: "" },
      errorMessage: "",
    });
  });

  it("gives an error acknowledgement its code: message", () => {
    const result = { status: "error", payload: { error: { code: "binary_missing", message: "claude not found" }, pid: "x" } };
    const { patch, errorMessage } = ackPatch(result);
    expect(errorMessage).toBe("binary_missing: claude not found");
    expect(patch).toEqual({ acknowledgement: result, errorMessage });
  });
});
