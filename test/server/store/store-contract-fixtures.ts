import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { create } from "@bufbuild/protobuf";
import { type DaemonCommand, DaemonCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import type { NewCommand, NewSessionEvent, SessionRecord } from "../../../server/store/store.js";

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
    initialPrompt: "",
    transcriptLength: 0,
    stoppedBy: "",
    stopTime: 0,
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

/** A launch command as the server pushes it. */
export function launchCommand(commandId: string): DaemonCommand {
  return create(DaemonCommandSchema, {
    commandId,
    kind: { case: "launch", value: { sessionId: "s-1", workspaceId: "ws-1", request: { workspaceId: "ws-1", initialPrompt: "hi" } } },
  });
}

export function command(commandId: string, init: Partial<NewCommand> = {}): NewCommand {
  return {
    commandId,
    machineId: "m-1",
    sessionId: "s-1",
    kind: "launch",
    command: launchCommand(commandId),
    deadlineAt: 15_010,
    now: 10,
    ...init,
  };
}
