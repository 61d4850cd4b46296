import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  followExitStatus,
  formatEvent,
  formatLaunchResult,
  formatValue,
  isTerminalEvent,
  stateName,
} from "../../../client/wsctl/format-event.js";
import { LaunchWorkspaceSessionResponseSchema } from "../../../gen/workspaces/v1/launch_pb.js";
import { SessionEventSchema, SessionEventType, SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { TranscriptEntryKind, TranscriptRole } from "../../../gen/workspaces/v1/transcript_pb.js";

const ack = create(LaunchWorkspaceSessionResponseSchema, {
  status: "ok",
  payload: { session_id: "s1", workspace_id: "ws1", machine_id: "m1", provider: "claude_code", pid: 4242, branch: "feat/x" },
});

function event(init: Parameters<typeof create<typeof SessionEventSchema>>[1]) {
  return create(SessionEventSchema, { sessionId: "s1", machineId: "m1", ...init });
}

describe("formatLaunchResult", () => {
  it("prints the status, then one line per payload field in order", () => {
    expect(formatLaunchResult(ack)).toEqual([
      "status: ok",
      "session_id: s1",
      "workspace_id: ws1",
      "machine_id: m1",
      "provider: claude_code",
      "pid: 4242",
      "branch: feat/x",
    ]);
  });

  it("prints nested values such as the error as JSON", () => {
    const res = create(LaunchWorkspaceSessionResponseSchema, {
      status: "error",
      payload: { session_id: "s1", error: { code: "spawn_failed", message: "no such file" } },
    });
    expect(formatLaunchResult(res)).toEqual([
      "status: error",
      "session_id: s1",
      'error: {"code":"spawn_failed","message":"no such file"}',
    ]);
  });
});

describe("formatValue", () => {
  it("prints strings bare and everything else as JSON", () => {
    expect(formatValue("a b")).toBe("a b");
    expect(formatValue(3)).toBe("3");
    expect(formatValue(null)).toBe("null");
    expect(formatValue(true)).toBe("true");
  });
});

describe("formatEvent", () => {
  it("names each kind of event with its sequence and what it carries", () => {
    expect(formatEvent(event({ sequence: 1n, type: SessionEventType.ACCEPTED, state: SessionState.PENDING }))).toBe(
      "#1 accepted session s1 on m1",
    );
    expect(formatEvent(event({ sequence: 2n, type: SessionEventType.DISPATCHED }))).toBe("#2 dispatched to m1");
    expect(formatEvent(event({ sequence: 3n, type: SessionEventType.ACKNOWLEDGED, acknowledgement: ack }))).toBe(
      "#3 acknowledged ok provider=claude_code pid=4242 branch=feat/x",
    );
    expect(formatEvent(event({ sequence: 4n, type: SessionEventType.RUNNING }))).toBe("#4 running");
    expect(formatEvent(event({ sequence: 5n, type: SessionEventType.EXITED, exitCode: 0 }))).toBe("#5 exited with code 0");
    expect(formatEvent(event({ sequence: 5n, type: SessionEventType.FAILED, message: "agent died" }))).toBe(
      "#5 failed: agent died",
    );
    expect(formatEvent(event({ sequence: 6n, type: SessionEventType.UNKNOWN, message: "machine m1 went offline" }))).toBe(
      "#6 unknown: machine m1 went offline",
    );
    expect(formatEvent(event({ sequence: 7n, type: SessionEventType.STOPPED, exitCode: 143, message: "stopped by tok_1" }))).toBe(
      "#7 stopped with code 143: stopped by tok_1",
    );
  });

  it("names the request an awaiting_approval event waits on, and prints its permission entry readably", () => {
    const entry = {
      role: TranscriptRole.SYSTEM,
      kind: TranscriptEntryKind.PERMISSION_REQUEST,
      toolName: "Bash",
      toolInput: { command: "npm test" },
      permissionRequest: { requestId: "prq_1", toolName: "Bash", input: { command: "npm test" } },
    };
    expect(
      formatEvent(event({ sequence: 8n, type: SessionEventType.AWAITING_APPROVAL, state: SessionState.AWAITING_APPROVAL, entry, message: "Bash needs approval" })),
    ).toBe("#8 awaiting_approval request prq_1: Bash needs approval");
    expect(formatEvent(event({ sequence: 7n, type: SessionEventType.TRANSCRIPT, entry }))).toBe("? Bash(npm test) asks for approval: request prq_1");
    expect(stateName(SessionState.AWAITING_APPROVAL)).toBe("awaiting_approval");
  });
});

describe("followExitStatus", () => {
  it("is 0 only for a session that exited with code 0", () => {
    expect(followExitStatus(event({ type: SessionEventType.EXITED, exitCode: 0 }))).toBe(0);
    expect(followExitStatus(event({ type: SessionEventType.EXITED, exitCode: 2 }))).toBe(1);
    expect(followExitStatus(event({ type: SessionEventType.FAILED }))).toBe(1);
    expect(followExitStatus(event({ type: SessionEventType.STOPPED, exitCode: 0 }))).toBe(1);
    expect(followExitStatus(event({ type: SessionEventType.RUNNING }))).toBe(1);
    expect(followExitStatus(undefined)).toBe(1);
  });
});

describe("isTerminalEvent", () => {
  it("is true for exited, failed and stopped only", () => {
    expect(isTerminalEvent(event({ type: SessionEventType.EXITED }))).toBe(true);
    expect(isTerminalEvent(event({ type: SessionEventType.FAILED }))).toBe(true);
    expect(isTerminalEvent(event({ type: SessionEventType.STOPPED }))).toBe(true);
    expect(isTerminalEvent(event({ type: SessionEventType.UNKNOWN }))).toBe(false);
  });
});

describe("stateName", () => {
  it("is the lower-case enum name", () => {
    expect(stateName(SessionState.RUNNING)).toBe("running");
    expect(stateName(SessionState.STOPPED)).toBe("stopped");
    expect(stateName(SessionState.UNSPECIFIED)).toBe("unspecified");
  });
});
