import { readFileSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionEventType, SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { WorkspaceSessionService } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { seedRequest } from "./harness/seed-request.js";
import { type Stack, startStack } from "./harness/start-stack.js";
import { waitForSessionState } from "./harness/wait-for-session-state.js";
import { collect, launchRequest } from "./harness/stream-clients.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const auth = () => ({ headers: { Authorization: `Bearer ${stack.apiToken}` } });
const sessions = () => createClient(WorkspaceSessionService, createGrpcTransport({ baseUrl: stack.url }));

/** Whether a process runs; a zombie (exited, not yet reaped by its new parent) does not. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

const waitForState = (sessionId: string, state: SessionState) => waitForSessionState(stack, sessionId, state);

/** Waits for an event of `type` in the session's history (Watch replays it first, then follows). */
async function waitForEvent(sessionId: string, type: SessionEventType): Promise<void> {
  const abort = new AbortController();
  try {
    for await (const event of sessions().watchWorkspaceSession({ workspaceId: stack.workspaceId, sessionId }, { ...auth(), signal: abort.signal })) {
      if (event.type === type) return;
    }
  } finally {
    abort.abort();
  }
}

describe("a daemon killed during a running session", () => {
  it("takes its machine offline and the session to unknown, and a restarted daemon restores running", async () => {
    const launched = await sessions().launchWorkspaceSession(launchRequest(stack.workspaceId, seedRequest()), auth());
    const sessionId = String(launched.payload?.session_id);
    const pid = Number(launched.payload?.pid);
    // The ack makes the session running; the daemon's own report of it is an event that comes after.
    await waitForEvent(sessionId, SessionEventType.RUNNING);

    await stack.daemon!.stop("SIGKILL");
    await stack.waitOnline(stack.machineId, false);
    await waitForState(sessionId, SessionState.UNKNOWN);
    expect(isRunning(pid)).toBe(true);

    await stack.startDaemon();
    const restored = await waitForState(sessionId, SessionState.RUNNING);
    expect(restored.pid).toBe(pid);

    // The adopted agent is still the daemon's to stop, and the stop is still its caller's.
    const stopped = await sessions().stopWorkspaceSession({ workspaceId: stack.workspaceId, sessionId, graceSeconds: 2 }, auth());
    expect(stopped.session).toMatchObject({ state: SessionState.STOPPED, stoppedBy: stack.apiTokenId });
    const events = (await collect(sessions().watchWorkspaceSession({ workspaceId: stack.workspaceId, sessionId }, auth()))).filter(
      (e) => e.type !== SessionEventType.TRANSCRIPT,
    );
    expect(events.map((e) => e.type)).toEqual([
      SessionEventType.ACCEPTED,
      SessionEventType.DISPATCHED,
      SessionEventType.ACKNOWLEDGED,
      SessionEventType.RUNNING,
      SessionEventType.UNKNOWN,
      SessionEventType.RUNNING,
      SessionEventType.STOPPED,
    ]);
    expect(isRunning(pid)).toBe(false);
  });
});
