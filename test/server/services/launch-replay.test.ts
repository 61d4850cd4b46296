import { afterEach, describe, expect, it } from "vitest";
import { createInProcessApp, type InProcessApp } from "../../support/in-process-app.js";

let env: InProcessApp;
afterEach(async () => {
  await env?.close();
});

describe("createWorkspaceSessionService", () => {
  it("answers a retried launch (same Idempotency-Key) with the first result, typed fields included, launching nothing new", async () => {
    env = await createInProcessApp();
    let launches = 0;
    await env.daemon({
      autoAck: () => {
        launches++;
        return { status: "ok", payload: { pid: 4242, agent_session_id: "agent-1", provider: "claude_code", work_dir: "/w", branch: "b" } };
      },
    });
    const options = { headers: { ...env.headers(), "Idempotency-Key": "replay-1" } };
    const request = { workspaceId: "ws", initialPrompt: "hi" };
    const first = await env.sessions.launchWorkspaceSession(request, options);
    const again = await env.sessions.launchWorkspaceSession(request, options);
    expect(launches).toBe(1);
    expect(again).toEqual(first);
    expect(again).toMatchObject({ status: "ok", sessionId: first.payload?.session_id, machineId: "m1", pid: 4242, workDir: "/w", branch: "b" });
  });
});
