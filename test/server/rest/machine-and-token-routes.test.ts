import { afterEach, describe, expect, it } from "vitest";
import { createListeningApp, type ListeningApp } from "../../support/listening-app.js";
import { scopedToken } from "../services/service-fixtures.js";

let env: ListeningApp;
afterEach(async () => {
  await env?.close();
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${env.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the tests read JSON bodies field by field
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("createRestHandler", () => {
  it("registers a machine at POST /api/v1/machines/register, answering in proto names", async () => {
    env = await createListeningApp();
    const token = await scopedToken(env, ["machines:register"]);
    const res = await call("POST", "/api/v1/machines/register", token, { workspace_id: "ws", name: "laptop", makeDefault: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ machine: { machine_id: "laptop", workspace_id: "ws" } });
    expect(res.body.reregistered ?? false).toBe(false);
    expect(res.body.machine_token).toMatch(/^wsm_/);
    expect(res.body.token_id).toMatch(/^tok_/);
    const again = await call("POST", "/api/v1/machines/register", token, { workspace_id: "ws", name: "laptop" });
    expect(again.body).toMatchObject({ reregistered: true, revoked_token_ids: [res.body.token_id] });
  });

  it("answers 403 with the error body for a token without the scope, 409 for another workspace's machine name", async () => {
    env = await createListeningApp();
    const denied = await call("POST", "/api/v1/machines/register", env.apiToken, { workspace_id: "ws", name: "laptop" });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: "permission_denied" });
    expect(denied.body.detail).toBe(denied.body.message);
    await env.store.createWorkspace("ws-2", 1);
    await env.store.createMachine({ machineId: "taken", workspaceId: "ws-2", makeDefault: true, now: 1 });
    const token = await scopedToken(env, ["admin"]);
    const clash = await call("POST", "/api/v1/machines/register", token, { workspace_id: "ws", name: "taken" });
    expect(clash).toMatchObject({ status: 409, body: { code: "already_exists" } });
  });

  it("creates, lists and revokes tokens under /api/v1/workspaces/{workspace_id}/tokens", async () => {
    env = await createListeningApp();
    const admin = await scopedToken(env, ["admin"]);
    const created = await call("POST", "/api/v1/workspaces/ws/tokens", admin, { scopes: ["machines:register"], label: "laptop" });
    expect(created.status).toBe(200);
    expect(created.body.token).toMatch(/^wsa_/);
    expect(created.body.api_token).toMatchObject({ workspace_ids: ["ws"], scopes: ["machines:register"], label: "laptop" });
    const id = created.body.api_token.token_id as string;
    const listed = await call("GET", "/api/v1/workspaces/ws/tokens", admin);
    expect(listed.body.api_tokens.map((t: { token_id: string }) => t.token_id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain("wsa_");
    const revoked = await call("POST", `/api/v1/workspaces/ws/tokens/${id}:revoke`, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body.api_token.revoke_time).toEqual(expect.any(String));
    const after = await call("POST", "/api/v1/machines/register", created.body.token, { workspace_id: "ws", name: "laptop" });
    expect(after.status).toBe(401);
  });
});
