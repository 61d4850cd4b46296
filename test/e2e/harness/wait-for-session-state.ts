import { pollUntil } from "../../support/poll-until.js";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type Session, SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import type { Stack } from "./start-stack.js";

/** Polls GetWorkspaceSession until the session is in `state`; fails after `timeoutMs`. */
export async function waitForSessionState(stack: Stack, sessionId: string, state: SessionState, timeoutMs = 15_000): Promise<Session> {
  const client = createClient(WorkspaceSessionService, createConnectTransport({ baseUrl: stack.url, httpVersion: "1.1" }));
  const headers = { Authorization: `Bearer ${stack.apiToken}` };
  return pollUntil(
    async () => {
      const got = await client.getWorkspaceSession({ workspaceId: stack.workspaceId, sessionId }, { headers });
      return got.session?.state === state ? got.session : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `session ${sessionId} to be ${SessionState[state]}` },
  );
}
