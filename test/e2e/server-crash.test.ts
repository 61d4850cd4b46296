import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionEventType } from "../../gen/workspaces/v1/session_pb.js";
import { WorkspaceSessionService } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { codeOf } from "../support/code-of.js";
import { pollUntil } from "../support/poll-until.js";
import { startFakeDaemon } from "./harness/fake-daemon.js";
import { seedRequest } from "./harness/seed-request.js";
import { spawnWsctl, type WsctlProcess } from "./harness/spawn-wsctl.js";
import { type Stack, startStack } from "./harness/start-stack.js";
import { launchRequest } from "./harness/stream-clients.js";

const deadlineMs = 1_000;
let stack: Stack;
let restarted: WsctlProcess | undefined;
beforeAll(async () => {
  stack = await startStack({ daemon: false, launchDeadlineMs: deadlineMs });
}, 60_000);
afterAll(async () => {
  await restarted?.stop();
  await stack?.stop();
});

const client = (url: string) => createClient(WorkspaceSessionService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));

describe("a server killed while a launch waits for its daemon", () => {
  it("is reconciled by the next server: the session fails, its watch ends, and the Idempotency-Key answers instead of 'still in progress'", async () => {
    const daemon = startFakeDaemon(stack.url, stack.machineToken); // silent: it never acknowledges
    await stack.waitOnline(stack.machineId, true);
    const headers = { Authorization: `Bearer ${stack.apiToken}`, "Idempotency-Key": "crash-1" };
    const request = launchRequest(stack.workspaceId, seedRequest());
    void codeOf(client(stack.url).launchWorkspaceSession(request, { headers }));
    const launch = await daemon.nextLaunch();
    const sessionId = launch.kind.case === "launch" ? launch.kind.value.sessionId : "";
    await stack.server.stop("SIGKILL");
    daemon.stop();

    restarted = spawnWsctl(["serve", "--listen", "127.0.0.1:0", "--database", stack.database, "--launch-deadline-ms", String(deadlineMs)]);
    const url = (await restarted.waitFor(/REST on (https?:\/\/\S+)/))[1]!;
    const started = Date.now();
    // A retry with the key is answered as soon as the new server has reconciled, never 'aborted' for good.
    const answered = await pollUntil(
      async () => {
        const code = await codeOf(client(url).launchWorkspaceSession(request, { headers }));
        return code === Code.Aborted ? undefined : code;
      },
      { timeoutMs: 10 * deadlineMs, intervalMs: 100, what: "the Idempotency-Key to be settled" },
    );
    expect(answered).toBe(Code.DeadlineExceeded);
    const session = await client(url).getWorkspaceSession({ workspaceId: stack.workspaceId, sessionId }, { headers });
    expect(session.session?.errorMessage).toMatch(/did not acknowledge|went away/);
    const types: SessionEventType[] = [];
    for await (const e of client(url).watchWorkspaceSession({ workspaceId: stack.workspaceId, sessionId }, { headers })) types.push(e.type);
    expect(types.at(-1)).toBe(SessionEventType.FAILED);
    console.log(`server crash: launch settled ${Date.now() - started} ms after the restart (deadline ${deadlineMs} ms)`);
  });
});
