import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import type { NewSessionEvent, SessionRecord } from "../../../server/store/store.js";

/** Shared fixtures of the Store contract suite. */

/** Asserts a rejection with a ConnectError of this code whose message carries no SQL or path. */
export async function expectCode(promise: Promise<unknown>, code: Code, message?: RegExp): Promise<ConnectError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const connectError = err as ConnectError;
  expect(Code[connectError.code]).toBe(Code[code]);
  expect(connectError.rawMessage).not.toMatch(/INSERT|UPDATE|SELECT|SQLITE|constraint|\//i);
  if (message) expect(connectError.rawMessage).toMatch(message);
  return connectError;
}

export function session(init: Partial<SessionRecord> & { sessionId: string }): SessionRecord {
  return {
    workspaceId: "ws-1",
    machineId: "m-1",
    state: "pending",
    provider: "claude_code",
    model: "opus",
    agentSessionId: "",
    workDir: "",
    branch: "",
    pid: 0,
    exitCode: undefined,
    errorMessage: "",
    metadata: {},
    acknowledgement: undefined,
    createdAt: 1000,
    updatedAt: 1000,
    ...init,
  };
}

export function event(sessionId: string, init: Partial<NewSessionEvent> = {}): NewSessionEvent {
  return {
    sessionId,
    type: "accepted",
    state: "pending",
    machineId: "m-1",
    acknowledgement: undefined,
    exitCode: undefined,
    message: "",
    now: 2000,
    ...init,
  };
}
