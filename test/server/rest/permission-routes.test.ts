import { afterEach, describe, expect, it } from "vitest";
import { TranscriptEntryKind, TranscriptRole } from "../../../gen/workspaces/v1/transcript_pb.js";
import { createListeningApp, type ListeningApp } from "../../support/listening-app.js";
import { pollUntil } from "../../support/poll-until.js";

let env: ListeningApp;
afterEach(async () => {
  await env?.close();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${env.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${env.apiToken}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the tests read JSON bodies field by field
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("createRestHandler", () => {
  it("lists pending permission requests and answers one over REST, the second answer 400 failed_precondition", async () => {
    env = await createListeningApp();
    const daemon = await env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 1 } }) });
    const launched = await call("POST", "/api/v1/workspaces/ws/sessions", { initial_prompt: "hi" });
    const sessionId = String(launched.body.payload.session_id);
    await daemon.appendTranscript(sessionId, 0, [
      {
        role: TranscriptRole.SYSTEM,
        kind: TranscriptEntryKind.PERMISSION_REQUEST,
        toolName: "Bash",
        toolInput: { command: "npm test" },
        permissionRequest: { requestId: "prq_1", toolName: "Bash", input: { command: "npm test" } },
      },
    ]);
    const listed = await pollUntil(async () => {
      const res = await call("GET", "/api/v1/workspaces/ws/permissions");
      return res.body.requests?.length ? res : undefined;
    });
    expect(listed.status).toBe(200);
    expect(listed.body.requests[0]).toMatchObject({ request_id: "prq_1", session_id: sessionId, tool_name: "Bash", input: { command: "npm test" } });
    const path = `/api/v1/workspaces/ws/sessions/${sessionId}/permissions/prq_1`;
    const answered = await call("POST", path, { decision: "allow", updated_input: { command: "npm test -- --run" }, remember: true });
    expect(answered.status).toBe(200);
    expect(answered.body.request).toMatchObject({ request_id: "prq_1", decision: "allow", decided_by: env.apiTokenId, remember: true });
    const again = await call("POST", path, { decision: "deny" });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ code: "failed_precondition" });
    expect(again.body.message).toContain(`already decided: allow by ${env.apiTokenId}`);
    expect((await call("GET", `/api/v1/workspaces/ws/permissions?session_id=${sessionId}`)).body.requests ?? []).toEqual([]);
  });
});
