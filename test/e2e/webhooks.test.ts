import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "../support/poll-until.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { seedRequest } from "./harness/seed-request.js";
import { type Stack, startStack } from "./harness/start-stack.js";

let stack: Stack;
let receiver: WebhookReceiver;
let adminToken: string;
beforeAll(async () => {
  [stack, receiver] = await Promise.all([startStack(), startWebhookReceiver()]);
  adminToken = (await stack.admin("create-token", "--workspace", stack.workspaceId, "--scope", "admin")).trim().split("\n").at(-1)!;
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

/** A REST call with a token; the JSON answer. */
async function rest(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads JSON bodies field by field
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("webhooks", () => {
  it("delivers a launched session's launched, running and exited events to a local endpoint, signed, in order, retrying a failure", async () => {
    const created = await rest("POST", `/api/v1/workspaces/${stack.workspaceId}/webhooks`, adminToken, { url: receiver.url, events: ["launched", "running", "exited"] });
    expect(created.status).toBe(200);
    receiver.secret = created.body.secret;
    const webhookId = created.body.webhook.webhook_id as string;
    // The first attempt of the first delivery fails: it is retried, and the session's next events wait for it.
    receiver.answer = (_, index) => (index === 0 ? 503 : 204);

    const launch = await rest("POST", `/api/v1/workspaces/${stack.workspaceId}/sessions`, stack.apiToken, seedRequest({ initial_prompt: "exit:0:50" }));
    expect(launch.body.status).toBe("ok");
    const sessionId = launch.body.payload.session_id as string;

    const delivered = () => receiver.received.filter((r) => r.status === 204 && r.json.session_id === sessionId);
    await pollUntil(() => delivered().length >= 3, { what: "launched, running and exited", timeoutMs: 20_000 });
    expect(delivered().map((r) => r.json.event)).toEqual(["launched", "running", "exited"]);
    expect(receiver.received.map((r) => r.problem)).toEqual(receiver.received.map(() => undefined));
    const sequences = delivered().map((r) => Number(r.json.sequence));
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(delivered()[2]!.json).toMatchObject({ workspace_id: stack.workspaceId, machine_id: stack.machineId, state: "exited", exit_code: 0 });
    expect(receiver.received[0]!.headers["webhook-id"]).toBe(receiver.received[1]!.headers["webhook-id"]);

    const log = await pollUntil(async () => {
      const res = await rest("GET", `/api/v1/workspaces/${stack.workspaceId}/webhooks/${webhookId}/deliveries`, adminToken);
      const list = res.body.deliveries as { status: string; attempts?: number; event: { event: string } }[];
      return list.length === 3 && list.every((d) => d.status === "delivered") ? list : undefined;
    });
    expect(log.map((d) => [d.event.event, d.attempts])).toEqual([["exited", 1], ["running", 1], ["launched", 2]]);
    const listed = await rest("GET", `/api/v1/workspaces/${stack.workspaceId}/webhooks`, adminToken);
    expect(JSON.stringify(listed.body)).not.toContain(receiver.secret);
    expect((await rest("GET", `/api/v1/workspaces/${stack.workspaceId}/webhooks`, stack.apiToken)).status).toBe(403);
  });

  it("documents the webhook routes in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${stack.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/api/v1/workspaces/{workspace_id}/webhooks"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}"] ?? {})).toEqual(["delete"]);
    expect(Object.keys(doc.paths["/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}/deliveries"] ?? {})).toEqual(["get"]);
  });
});
