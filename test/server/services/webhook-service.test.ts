import { Code, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { WebhookService } from "../../../gen/workspaces/v1/webhook_service_pb.js";
import { createInProcessApp, type InProcessApp } from "../../support/in-process-app.js";
import { pollUntil } from "../../support/poll-until.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/webhook-receiver.js";
import { addOtherWorkspace, rejection, scopedToken, violatedFields } from "./service-fixtures.js";

let env: InProcessApp;
let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await env?.close();
  await receiver?.close();
  receiver = undefined;
});

async function app() {
  env = await createInProcessApp();
  await addOtherWorkspace(env);
  const admin = await scopedToken(env, ["admin"]);
  return { webhooks: createClient(WebhookService, env.transport), admin: { headers: env.headers(admin) } };
}

const json = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? String(v) : v));

describe("createWebhookService", () => {
  it("creates an endpoint with its secret, shown once: listing never returns it", async () => {
    const { webhooks, admin } = await app();
    const created = await webhooks.createWebhook({ workspaceId: "ws", url: "https://hooks.example.com/a?x=1", events: ["exited", "launched", "exited"] }, admin);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.webhook).toMatchObject({ workspaceId: "ws", url: "https://hooks.example.com/a?x=1", events: ["exited", "launched"] });
    expect(created.webhook?.webhookId).toMatch(/^whk_[0-9a-f]{12}$/);
    const second = await webhooks.createWebhook({ workspaceId: "ws", url: "http://127.0.0.1:9/b" }, admin);
    expect(second.webhook?.events).toEqual([]);
    const { webhooks: listed } = await webhooks.listWebhooks({ workspaceId: "ws" }, admin);
    expect(listed.map((w) => w.webhookId).sort()).toEqual([created.webhook!.webhookId, second.webhook!.webhookId].sort());
    expect(json(listed)).not.toContain("whsec_");
    expect((await webhooks.listWebhooks({ workspaceId: "ws-2" }, { headers: env.headers(await scopedToken(env, ["admin"], ["ws-2"])) })).webhooks).toEqual([]);
  });

  it("deletes an endpoint; a second delete and an unknown or foreign id are not_found", async () => {
    const { webhooks, admin } = await app();
    const { webhook } = await webhooks.createWebhook({ workspaceId: "ws", url: "https://hooks.example.com/" }, admin);
    const webhookId = webhook!.webhookId;
    await webhooks.deleteWebhook({ workspaceId: "ws", webhookId }, admin);
    expect((await webhooks.listWebhooks({ workspaceId: "ws" }, admin)).webhooks).toEqual([]);
    const again = await rejection(webhooks.deleteWebhook({ workspaceId: "ws", webhookId }, admin), Code.NotFound);
    expect(again.rawMessage).toBe(`webhook ${webhookId} not found`);
    await rejection(webhooks.listWebhookDeliveries({ workspaceId: "ws", webhookId }, admin), Code.NotFound);
    const other = await env.store.createWebhook({ webhookId: "whk_other", workspaceId: "ws-2", url: "https://x.example/", events: [], secret: "s", now: 1 });
    await rejection(webhooks.deleteWebhook({ workspaceId: "ws", webhookId: other.webhookId }, admin), Code.NotFound);
    await rejection(webhooks.deleteWebhook({ workspaceId: "ws-2", webhookId: other.webhookId }, admin), Code.NotFound);
    expect(await env.store.getWebhook("ws-2", "whk_other")).toBeDefined();
  });

  it("refuses every call of a token without the admin scope with permission_denied", async () => {
    const { webhooks } = await app();
    for (const token of [env.apiToken, await scopedToken(env, ["machines:register"])]) {
      const auth = { headers: env.headers(token) };
      const err = await rejection(webhooks.createWebhook({ workspaceId: "ws", url: "https://x.example/" }, auth), Code.PermissionDenied);
      expect(err.rawMessage).toContain("admin scope");
      await rejection(webhooks.listWebhooks({ workspaceId: "ws" }, auth), Code.PermissionDenied);
      await rejection(webhooks.deleteWebhook({ workspaceId: "ws", webhookId: "whk_1" }, auth), Code.PermissionDenied);
      await rejection(webhooks.listWebhookDeliveries({ workspaceId: "ws", webhookId: "whk_1" }, auth), Code.PermissionDenied);
    }
    expect(await env.store.listWebhooks("ws")).toEqual([]);
  });

  it("answers not_found for a workspace the admin token does not cover, as for one that does not exist", async () => {
    const { webhooks, admin } = await app();
    const other = await rejection(webhooks.createWebhook({ workspaceId: "ws-2", url: "https://x.example/" }, admin), Code.NotFound);
    const missing = await rejection(webhooks.listWebhooks({ workspaceId: "nope" }, admin), Code.NotFound);
    expect([other.rawMessage, missing.rawMessage]).toEqual(["workspace ws-2 not found", "workspace nope not found"]);
    expect(await env.store.listWebhooks("ws-2")).toEqual([]);
  });

  it("names a bad url, unknown events, a bad webhook id and page size with invalid_argument, storing nothing", async () => {
    const { webhooks, admin } = await app();
    const bad = (url: string, events: string[] = []) => violatedFields(webhooks.createWebhook({ workspaceId: "ws", url, events }, admin));
    for (const url of ["", "ftp://x.example/", "not a url", "/relative", "https://user:pw@x.example/", "http:// x.example/", `https://x.example/${"a".repeat(2048)}`, "javascript:alert(1)"]) {
      expect(await bad(url)).toEqual(["url"]);
    }
    expect(await bad("https://x.example/", ["launched", "transcript", "heartbeat"])).toEqual(["events[1]", "events[2]"]);
    expect(await violatedFields(webhooks.createWebhook({ workspaceId: "", url: "x", events: ["dispatched"] }, admin))).toEqual(["workspace_id", "url", "events[0]"]);
    expect(await violatedFields(webhooks.deleteWebhook({ workspaceId: "ws", webhookId: "whsec_x" }, admin))).toEqual(["webhook_id"]);
    expect(await violatedFields(webhooks.listWebhookDeliveries({ workspaceId: "ws", webhookId: "whk_1", pageSize: 1001 }, admin))).toEqual(["page_size"]);
    expect(await violatedFields(webhooks.listWebhookDeliveries({ workspaceId: "ws", webhookId: "", pageSize: -1 }, admin))).toEqual(["webhook_id", "page_size"]);
    expect(await env.store.listWebhooks("ws")).toEqual([]);
  });

  it("delivers a launched session's events to the endpoint, signed, and lists them in the delivery log", async () => {
    const { webhooks, admin } = await app();
    receiver = await startWebhookReceiver();
    const created = await webhooks.createWebhook({ workspaceId: "ws", url: receiver.url }, admin);
    receiver.secret = created.secret;
    const daemon = await env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 42 } }) });
    const res = await env.sessions.launchWorkspaceSession({ workspaceId: "ws", initialPrompt: "hi" }, { headers: env.headers() });
    const sessionId = String(res.payload?.session_id);
    await daemon.report(sessionId, SessionState.RUNNING, { pid: 42 });
    await daemon.report(sessionId, SessionState.EXITED, { exitCode: 0 });
    await pollUntil(() => receiver!.received.length >= 3, { what: "three deliveries" });
    expect(receiver.received.map((r) => [r.json.event, r.json.session_id, r.problem])).toEqual([
      ["launched", sessionId, undefined],
      ["running", sessionId, undefined],
      ["exited", sessionId, undefined],
    ]);
    expect(receiver.received[2]!.json).toMatchObject({ state: "exited", exit_code: 0, workspace_id: "ws", machine_id: "m1" });
    const { deliveries } = await pollUntil(async () => {
      const log = await webhooks.listWebhookDeliveries({ workspaceId: "ws", webhookId: created.webhook!.webhookId }, admin);
      return log.deliveries.every((d) => d.status === "delivered") ? log : undefined;
    });
    expect(deliveries.map((d) => [d.event?.event, d.status, d.attempts, d.lastStatusCode])).toEqual([
      ["exited", "delivered", 1, 204],
      ["running", "delivered", 1, 204],
      ["launched", "delivered", 1, 204],
    ]);
    expect(deliveries[0]?.deliveryId).toBe(receiver.received[2]!.headers["webhook-id"]);
    expect(deliveries[0]?.lastAttemptTime).toBeDefined();
    expect(deliveries[0]?.nextAttemptTime).toBeUndefined();
  });
});
