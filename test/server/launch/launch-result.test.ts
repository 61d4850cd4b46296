import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { LaunchWorkspaceSessionResponseSchema } from "../../../gen/workspaces/v1/launch_pb.js";
import { launchResponse, launchResult, orderedLaunchResult } from "../../../server/launch/launch-result.js";

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

describe("launchResponse", () => {
  const okPayload = {
    pid: 29824,
    branch: "b",
    session_id: "s-1",
    workspace_id: "ws",
    machine_id: "m1",
    agent_session_id: "a-1",
    provider: "claude_code",
    model: "haiku",
    work_dir: "/w",
  };

  it("fills the typed fields from the payload, pid as an integer, and keeps the payload in the documented order", () => {
    const message = launchResponse({ status: "ok", payload: okPayload });
    expect(message).toMatchObject({
      status: "ok",
      sessionId: "s-1",
      machineId: "m1",
      agentSessionId: "a-1",
      provider: "claude_code",
      model: "haiku",
      workDir: "/w",
      branch: "b",
      pid: 29824,
    });
    expect(message.error).toBeUndefined();
    expect(Object.keys(message.payload ?? {})).toEqual([
      "session_id", "workspace_id", "machine_id", "agent_session_id", "provider", "model", "work_dir", "branch", "pid",
    ]);
    expect(toJson(LaunchWorkspaceSessionResponseSchema, message, { useProtoFieldName: true })).toMatchObject({ pid: 29824, work_dir: "/w" });
  });

  it("types an error acknowledgement's error as {code, message}", () => {
    const error = { code: "not_a_git_repo", message: "/w is not inside a git repository" };
    const message = launchResponse({ status: "error", payload: { session_id: "s-1", workspace_id: "ws", machine_id: "m1", error } });
    expect(message.status).toBe("error");
    expect(message.error).toMatchObject(error);
    expect(message.pid).toBe(0);
    expect(message.payload).toEqual({ session_id: "s-1", workspace_id: "ws", machine_id: "m1", error });
  });

  it("leaves a field empty where the payload's value is not of the documented type, keeping it in the payload", () => {
    for (const pid of [1.5, -1, 2 ** 31, "123", null]) {
      const message = launchResponse({ status: "ok", payload: { session_id: "s-1", pid, provider: 7, error: "boom" } });
      expect([message.pid, message.provider, message.error]).toEqual([0, "", undefined]);
      expect(message.payload).toMatchObject({ pid, provider: 7, error: "boom" });
    }
    const partial = launchResponse({ status: "error", payload: { error: { code: 5 } } });
    expect(partial.error).toMatchObject({ code: "", message: "" });
  });
});
