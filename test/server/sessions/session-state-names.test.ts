import { describe, expect, it } from "vitest";
import { SessionEventType, SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import {
  type SessionEventTypeName,
  sessionEventTypeFromName,
  sessionStateFromName,
  sessionStateName,
} from "../../../server/sessions/session-state-names.js";
import type { SessionStateName } from "../../../server/store/store.js";

const stateTable: [SessionStateName, SessionState][] = [
  ["pending", SessionState.PENDING],
  ["dispatched", SessionState.DISPATCHED],
  ["running", SessionState.RUNNING],
  ["exited", SessionState.EXITED],
  ["failed", SessionState.FAILED],
  ["unknown", SessionState.UNKNOWN],
  ["stopped", SessionState.STOPPED],
  ["awaiting_approval", SessionState.AWAITING_APPROVAL],
];

const eventTable: [SessionEventTypeName, SessionEventType][] = [
  ["accepted", SessionEventType.ACCEPTED],
  ["dispatched", SessionEventType.DISPATCHED],
  ["acknowledged", SessionEventType.ACKNOWLEDGED],
  ["running", SessionEventType.RUNNING],
  ["exited", SessionEventType.EXITED],
  ["failed", SessionEventType.FAILED],
  ["unknown", SessionEventType.UNKNOWN],
  ["transcript", SessionEventType.TRANSCRIPT],
  ["stopped", SessionEventType.STOPPED],
  ["awaiting_approval", SessionEventType.AWAITING_APPROVAL],
];

/** The numeric values of a generated enum. */
const valuesOf = (e: object) => Object.values(e).filter((v): v is number => typeof v === "number");

describe("sessionStateFromName", () => {
  it.each(stateTable)("maps %s to its enum value", (name, value) => {
    expect(sessionStateFromName(name)).toBe(value);
  });
});

describe("sessionStateName", () => {
  it.each(stateTable)("maps back to %s", (name, value) => {
    expect(sessionStateName(value)).toBe(name);
  });

  it("has a stored name for every state of the proto but UNSPECIFIED", () => {
    const named = valuesOf(SessionState).filter((v) => v !== SessionState.UNSPECIFIED);
    expect(named.map((v) => sessionStateFromName(sessionStateName(v)!))).toEqual(named);
  });

  it("is undefined for UNSPECIFIED and for numbers the proto does not define", () => {
    expect(sessionStateName(SessionState.UNSPECIFIED)).toBeUndefined();
    expect(sessionStateName(99 as SessionState)).toBeUndefined();
  });
});

describe("sessionEventTypeFromName", () => {
  it.each(eventTable)("maps %s to its enum value", (name, value) => {
    expect(sessionEventTypeFromName(name)).toBe(value);
  });

  it("has a stored name for every event type of the proto but UNSPECIFIED and HEARTBEAT", () => {
    const stored = valuesOf(SessionEventType).filter((v) => v !== SessionEventType.UNSPECIFIED && v !== SessionEventType.HEARTBEAT);
    expect(eventTable.map(([, v]) => v).sort()).toEqual(stored.sort());
  });

  it.each(["", "ACCEPTED", "heartbeat", "stop", "toString", "constructor", "__proto__"])(
    "is UNSPECIFIED for the name %j, which is not a stored event type",
    (name) => {
      expect(sessionEventTypeFromName(name)).toBe(SessionEventType.UNSPECIFIED);
    },
  );
});
