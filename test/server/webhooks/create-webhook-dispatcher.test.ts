import { afterEach, describe, expect, it } from "vitest";
import { createSqliteStore } from "../../../server/store/sqlite/create-sqlite-store.js";
import type { Store, WebhookAttempt } from "../../../server/store/store.js";
import { createWebhook } from "../../../server/webhooks/create-webhook.js";
import { createWebhookDispatcher, type WebhookDispatcher, type WebhookDispatcherOptions } from "../../../server/webhooks/create-webhook-dispatcher.js";
import { pollUntil } from "../../support/poll-until.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/webhook-receiver.js";
import { event, session } from "../store/store-contract-fixtures.js";

let store: Store;
let receiver: WebhookReceiver;
let dispatcher: WebhookDispatcher | undefined;
const logged: string[] = [];

afterEach(async () => {
  await dispatcher?.close();
  dispatcher = undefined;
  await receiver?.close();
  await store?.close();
  logged.length = 0;
});

/** A store with workspace ws-1, machine m-1, sessions s-1 and s-2, a receiver and a webhook posting to it. */
async function setup(events: ("launched" | "running" | "exited" | "failed")[] = []) {
  store = createSqliteStore({ path: ":memory:" });
  await store.migrate();
  await store.createWorkspace("ws-1", 1);
  await store.createMachine({ machineId: "m-1", workspaceId: "ws-1", makeDefault: true, now: 1 });
  await store.createSession(session({ sessionId: "s-1" }));
  await store.createSession(session({ sessionId: "s-2" }));
  receiver = await startWebhookReceiver();
  const created = await createWebhook(store, { workspaceId: "ws-1", url: receiver.url, events });
  receiver.secret = created.secret;
  return created.webhook.webhookId;
}

function start(options: Partial<WebhookDispatcherOptions> = {}): WebhookAttempt[] {
  const attempts: WebhookAttempt[] = [];
  dispatcher = createWebhookDispatcher({
    store,
    log: (message) => logged.push(message),
    policy: { initialDelayMs: 40, attemptTimeoutMs: 2_000 },
    pollMs: 5_000,
    onAttempt: (attempt) => attempts.push(attempt),
    ...options,
  });
  dispatcher.start();
  return attempts;
}

async function append(sessionId: string, type: string, now = Date.now()) {
  await store.appendSessionEvent(event(sessionId, { type, state: type === "accepted" ? "pending" : (type as "running"), now }));
  dispatcher?.nudge();
}

const events = () => receiver.received.map((r) => `${r.json.session_id}:${r.json.event}`);

describe("createWebhookDispatcher", () => {
  it("retries a delivery that fails twice with backoff, then sends the session's next events in order, all signed", async () => {
    const webhookId = await setup();
    receiver.answer = (_, index) => (index < 2 ? 503 : 204);
    start();
    await append("s-1", "accepted");
    await append("s-1", "running");
    await append("s-1", "exited");
    await pollUntil(() => receiver.received.length >= 5, { what: "five requests" });
    expect(events()).toEqual(["s-1:launched", "s-1:launched", "s-1:launched", "s-1:running", "s-1:exited"]);
    for (const request of receiver.received) {
      expect(request.problem).toBeUndefined();
      expect(Math.abs(Number(request.headers["webhook-timestamp"]) * 1000 - request.at)).toBeLessThan(2_000);
      expect(request.headers["content-type"]).toBe("application/json");
    }
    const [first, second, third] = receiver.received;
    // The same delivery on every retry: same id, same body; each attempt its own timestamp and signature.
    expect(new Set([first, second, third].map((r) => r!.headers["webhook-id"])).size).toBe(1);
    expect(new Set([first, second, third].map((r) => r!.body)).size).toBe(1);
    expect(first!.json.delivery_id).toBe(first!.headers["webhook-id"]);
    // Backoff: 40 ms, then 80 ms.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(35);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(75);
    expect(first!.json).toMatchObject({ event: "launched", workspace_id: "ws-1", session_id: "s-1", machine_id: "m-1", sequence: "1", state: "pending", message: "" });
    const log = await pollUntil(async () => {
      const list = await store.listWebhookDeliveries({ workspaceId: "ws-1", webhookId, limit: 10 });
      return list.every((d) => d.status === "delivered") ? list : undefined;
    });
    expect(log.map((d) => [d.event.event, d.status, d.attempts, d.lastStatusCode])).toEqual([
      ["exited", "delivered", 1, 204],
      ["running", "delivered", 1, 204],
      ["launched", "delivered", 3, 204],
    ]);
  });

  it("keeps each session in order while another session's deliveries go on", async () => {
    await setup();
    // s-1's launch fails three times; s-2 is not held up by it.
    receiver.answer = (request) => (request.json.session_id === "s-1" && receiver.received.filter((r) => r.json.session_id === "s-1").length < 3 ? 500 : 200);
    start();
    for (const type of ["accepted", "running", "exited"]) {
      await append("s-1", type);
      await append("s-2", type);
    }
    await pollUntil(() => receiver.received.filter((r) => r.status === 200).length >= 6, { what: "six deliveries" });
    const delivered = (sessionId: string) => receiver.received.filter((r) => r.status === 200 && r.json.session_id === sessionId).map((r) => r.json.event);
    expect(delivered("s-1")).toEqual(["launched", "running", "exited"]);
    expect(delivered("s-2")).toEqual(["launched", "running", "exited"]);
    expect(events().indexOf("s-2:exited")).toBeLessThan(events().lastIndexOf("s-1:launched"));
  });

  it("sends only the events a webhook asked for, found by its poll without a nudge", async () => {
    await setup(["exited"]);
    start({ pollMs: 30 });
    await store.appendSessionEvent(event("s-1", { type: "accepted" }));
    await store.appendSessionEvent(event("s-1", { type: "running", state: "running" }));
    await store.appendSessionEvent(event("s-1", { type: "exited", state: "exited", exitCode: 2 }));
    await pollUntil(() => receiver.received.length >= 1);
    expect(events()).toEqual(["s-1:exited"]);
    expect(receiver.received[0]!.json).toMatchObject({ exit_code: 2, state: "exited", sequence: "3" });
  });

  it("marks a delivery failed once its retry window ends, then sends the session's next event", async () => {
    const webhookId = await setup();
    receiver.answer = (request) => (request.json.event === "launched" ? 500 : 204);
    const attempts = start({ policy: { initialDelayMs: 20, retryForMs: 100, attemptTimeoutMs: 2_000 } });
    await append("s-1", "accepted");
    await append("s-1", "failed");
    await pollUntil(() => receiver.received.some((r) => r.json.event === "failed"), { what: "the failed event" });
    const [launched] = (await store.listWebhookDeliveries({ workspaceId: "ws-1", webhookId, limit: 10 })).filter((d) => d.event.event === "launched");
    expect(launched).toMatchObject({ status: "failed", lastStatusCode: 500, lastError: "HTTP 500", nextAttemptAt: undefined });
    expect(launched!.attempts).toBeGreaterThanOrEqual(2);
    expect(attempts.filter((a) => a.status === "failed")).toHaveLength(1);
    expect(logged.some((m) => m.includes("failed after") && !m.includes(receiver.url) && !m.includes(receiver.secret))).toBe(true);
  });

  it("gives up an attempt with no answer after the timeout, and retries it", async () => {
    const webhookId = await setup();
    receiver.answer = (_, index) => (index === 0 ? "hang" : 204);
    start({ policy: { initialDelayMs: 10, attemptTimeoutMs: 100 } });
    await append("s-1", "accepted");
    await pollUntil(() => receiver.received.length >= 2);
    const [delivery] = await pollUntil(async () => {
      const list = await store.listWebhookDeliveries({ workspaceId: "ws-1", webhookId, limit: 10 });
      return list[0]?.status === "delivered" ? list : undefined;
    });
    expect(delivery).toMatchObject({ attempts: 2, lastStatusCode: 204 });
    expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeGreaterThanOrEqual(100);
  });

  it("aborts attempts in flight on close and releases their claims, so the next start sends them at once", async () => {
    await setup();
    receiver.answer = (_, index) => (index === 0 ? "hang" : 204);
    start({ policy: { attemptTimeoutMs: 60_000 } });
    await append("s-1", "accepted");
    await pollUntil(() => receiver.received.length >= 1);
    const closing = Date.now();
    await dispatcher!.close();
    expect(Date.now() - closing).toBeLessThan(1_000);
    const claimed = await store.claimWebhookDeliveries({ now: Date.now(), leaseUntil: Date.now() + 1, limit: 10, claimToken: "probe" });
    expect(claimed.map((d) => [d.event.event, d.attempts])).toEqual([["launched", 0]]);
    await store.releaseWebhookClaim(claimed[0]!.deliveryId, "probe");
    start();
    await pollUntil(() => receiver.received.length >= 2);
    expect(receiver.received[1]!.headers["webhook-id"]).toBe(receiver.received[0]!.headers["webhook-id"]);
  });
});
