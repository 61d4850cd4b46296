import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type Session, SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import type { Stack } from "./start-stack.js";

/** Polls GetWorkspaceSession until the session is in `state`; fails after `timeoutMs`. */
export async function waitForSessionState(stack: Stack, sessionId: string, state: SessionState, timeoutMs = 15_000): Promise<Session> {
  const client = createClient(WorkspaceSessionService, createConnectTransport({ baseUrl: stack.url, httpVersion: "1.1" }));
  const headers = { Authorization: `Bearer ${stack.apiToken}` };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await client.getWorkspaceSession({ workspaceId: stack.workspaceId, sessionId }, { headers });
    if (got.session?.state === state) return got.session;
    if (Date.now() > deadline) {
      throw new Error(`session ${sessionId} stayed ${SessionState[got.session?.state ?? 0]}, wanted ${SessionState[state]}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
