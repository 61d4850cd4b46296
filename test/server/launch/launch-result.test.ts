import { describe, expect, it } from "vitest";
import { launchResult, orderedLaunchResult } from "../../../server/launch/launch-result.js";

const ids = { sessionId: "s-1", workspaceId: "ws", machineId: "m1" };

describe("launchResult", () => {
  it("puts our ids first, then the daemon's documented fields in the documented order whatever order they came in, then the rest", () => {
    const result = launchResult(ids, { status: "ok", payload: { extra: 1, pid: 42, provider: "claude_code", work_dir: "/w", branch: "b" } });
    expect(result.status).toBe("ok");
    expect(Object.keys(result.payload)).toEqual(["session_id", "workspace_id", "machine_id", "provider", "work_dir", "branch", "pid", "extra"]);
    expect(result.payload).toEqual({ session_id: "s-1", workspace_id: "ws", machine_id: "m1", pid: 42, provider: "claude_code", work_dir: "/w", branch: "b", extra: 1 });
  });

  it("never lets the daemon overwrite our ids", () => {
    const result = launchResult(ids, {
      status: "ok",
      payload: { machine_id: "forged-m", session_id: "forged-s", workspace_id: "forged-ws", agent_session_id: "a-1" },
    });
    expect(result.payload).toEqual({ session_id: "s-1", workspace_id: "ws", machine_id: "m1", agent_session_id: "a-1" });
  });

  it("keeps an error acknowledgement's status and nested error as given", () => {
    const error = { code: "git_failed", message: "not a repository" };
    const result = launchResult(ids, { status: "error", payload: { error } });
    expect(result).toEqual({ status: "error", payload: { ...{ session_id: "s-1", workspace_id: "ws", machine_id: "m1" }, error } });
  });

  it("answers only our ids when the daemon reports nothing else, leaving its acknowledgement untouched", () => {
    expect(launchResult(ids, { status: "ok", payload: {} }).payload).toEqual({ session_id: "s-1", workspace_id: "ws", machine_id: "m1" });
    const ack = { status: "ok", payload: { session_id: "x" } };
    const result = launchResult(ids, ack);
    expect(result.payload).toEqual({ session_id: "s-1", workspace_id: "ws", machine_id: "m1" });
    expect(ack).toEqual({ status: "ok", payload: { session_id: "x" } });
    expect(result.payload).not.toBe(ack.payload);
  });
});

describe("orderedLaunchResult", () => {
  it("puts a stored result's payload back in the documented order, as a store that sorts keys (jsonb) would lose it", () => {
    const stored = { status: "ok", payload: { pid: 1, model: "m", branch: "b", session_id: "s", provider: "p", work_dir: "/w", machine_id: "m1", workspace_id: "ws", agent_session_id: "a", x: 1 } };
    expect(Object.keys(orderedLaunchResult(stored).payload)).toEqual([
      "session_id", "workspace_id", "machine_id", "agent_session_id", "provider", "model", "work_dir", "branch", "pid", "x",
    ]);
    expect(orderedLaunchResult(stored)).toEqual(stored);
    expect(orderedLaunchResult(undefined)).toBeUndefined();
  });
});
