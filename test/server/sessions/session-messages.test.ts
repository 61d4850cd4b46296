import { create, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  SessionEventSchema,
  SessionEventType,
  SessionSchema,
  SessionState,
} from "../../../gen/workspaces/v1/session_pb.js";
import { heartbeatEvent, sessionEventMessage, sessionMessage } from "../../../server/sessions/session-messages.js";
import type { SessionEventRecord } from "../../../server/store/store.js";
import { session } from "../store/store-contract-fixtures.js";

const acknowledgement = { status: "ok", payload: { session_id: "s-1", pid: 42, nested: { list: [1, "two", null, true] } } };

/** Fields a session message carries as stored, under the same name. */
const sameFields = {
  sessionId: "s-1",
  workspaceId: "ws-1",
  machineId: "m-1",
  provider: "codex",
  model: "gpt-5",
  agentSessionId: "agent-1",
  workDir: "/work/ws-1",
  branch: "feature/x",
  pid: 42,
  exitCode: 3,
  errorMessage: "boom",
  metadata: { team: "a", n: 1 },
  acknowledgement,
};

const full = session({ ...sameFields, state: "exited", createdAt: 1_700_000_000_123, updatedAt: 1_700_000_001_456 });

const exitedEvent: SessionEventRecord = {
  sessionId: "s-1",
  sequence: 7,
  type: "exited",
  state: "exited",
  machineId: "m-1",
  acknowledgement: undefined,
  exitCode: 3,
  message: "done",
  time: 1_700_000_002_789,
};

describe("sessionMessage", () => {
  it("carries every field of the stored session", () => {
    expect(sessionMessage(full)).toEqual(
      create(SessionSchema, {
        ...sameFields,
        // The acknowledgement's typed fields are read from its payload.
        acknowledgement: { ...acknowledgement, sessionId: "s-1", pid: 42 },
        state: SessionState.EXITED,
        createTime: timestampFromMs(1_700_000_000_123),
        updateTime: timestampFromMs(1_700_000_001_456),
      }),
    );
  });

  it("keeps the times to the millisecond", () => {
    const message = sessionMessage(full);
    expect(timestampDate(message.createTime!).getTime()).toBe(1_700_000_000_123);
    expect(timestampDate(message.updateTime!).getTime()).toBe(1_700_000_001_456);
  });

  it("leaves the exit code and the acknowledgement unset before there are any", () => {
    const message = sessionMessage(session({ sessionId: "s-2" }));
    expect(message.exitCode).toBeUndefined();
    expect(message.acknowledgement).toBeUndefined();
    expect(toJson(SessionSchema, message)).not.toHaveProperty("exitCode");
  });

  it("tells an exit code of 0 from none", () => {
    const message = sessionMessage(session({ sessionId: "s-2", state: "exited", exitCode: 0 }));
    expect(toJson(SessionSchema, message)).toMatchObject({ exitCode: 0 });
  });

  it("survives a binary round trip with its acknowledgement and metadata", () => {
    const message = sessionMessage(full);
    expect(fromBinary(SessionSchema, toBinary(SessionSchema, message))).toEqual(message);
  });
});

describe("sessionEventMessage", () => {
  it("carries every field of the stored event", () => {
    expect(sessionEventMessage(exitedEvent)).toEqual(
      create(SessionEventSchema, {
        sessionId: "s-1",
        sequence: 7n,
        time: timestampFromMs(1_700_000_002_789),
        type: SessionEventType.EXITED,
        state: SessionState.EXITED,
        machineId: "m-1",
        exitCode: 3,
        message: "done",
      }),
    );
  });

  it("carries the acknowledgement of an acknowledged event", () => {
    const message = sessionEventMessage({ ...exitedEvent, type: "acknowledged", state: "running", exitCode: undefined, acknowledgement });
    expect(message.type).toBe(SessionEventType.ACKNOWLEDGED);
    expect(message.state).toBe(SessionState.RUNNING);
    expect(message.acknowledgement).toMatchObject({ ...acknowledgement, sessionId: "s-1", pid: 42, provider: "" });
    expect(message.exitCode).toBeUndefined();
  });

  it.each([
    ["accepted", "pending", SessionEventType.ACCEPTED, SessionState.PENDING],
    ["dispatched", "dispatched", SessionEventType.DISPATCHED, SessionState.DISPATCHED],
    ["running", "running", SessionEventType.RUNNING, SessionState.RUNNING],
    ["failed", "failed", SessionEventType.FAILED, SessionState.FAILED],
    ["unknown", "unknown", SessionEventType.UNKNOWN, SessionState.UNKNOWN],
  ] as const)("maps a %s event in state %s", (type, state, typeValue, stateValue) => {
    const message = sessionEventMessage({ ...exitedEvent, type, state });
    expect([message.type, message.state]).toEqual([typeValue, stateValue]);
  });

  it("survives a binary round trip", () => {
    const message = sessionEventMessage({ ...exitedEvent, acknowledgement });
    expect(fromBinary(SessionEventSchema, toBinary(SessionEventSchema, message))).toEqual(message);
  });
});

describe("heartbeatEvent", () => {
  it("is a HEARTBEAT of the session with sequence 0, no state, and the current time", () => {
    const before = Date.now();
    const beat = heartbeatEvent("s-1");
    const after = Date.now();
    expect(beat.sessionId).toBe("s-1");
    expect(beat.type).toBe(SessionEventType.HEARTBEAT);
    expect(beat.state).toBe(SessionState.UNSPECIFIED);
    expect(beat.sequence).toBe(0n);
    expect(beat.machineId).toBe("");
    const time = timestampDate(beat.time!).getTime();
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
  });
});
