import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { sendWebhook, type WebhookRequest } from "../../../server/webhooks/send-webhook.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/webhook-receiver.js";

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const request = (url: string, init: Partial<WebhookRequest> = {}): WebhookRequest => ({
  url,
  secret: "whsec_test",
  deliveryId: "whd_1",
  body: '{"event":"launched"}',
  now: Date.now(),
  timeoutMs: 2_000,
  signal: new AbortController().signal,
  userAgent: "wsctl-webhooks/test",
  ...init,
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("sendWebhook", () => {
  it("posts the body with its id, timestamp and a signature the receiver verifies", async () => {
    receiver = await startWebhookReceiver();
    receiver.secret = "whsec_test";
    const now = 1_700_000_123_456;
    const outcome = await sendWebhook(request(receiver.url, { now }));
    expect(outcome).toEqual({ statusCode: 204, error: "" });
    const [got] = receiver.received;
    expect(got!.body).toBe('{"event":"launched"}');
    expect(got!.headers).toMatchObject({ "webhook-id": "whd_1", "webhook-timestamp": "1700000123", "user-agent": "wsctl-webhooks/test", "content-type": "application/json" });
    // Checked against the receiver's clock: that timestamp is outside the window, the signature itself holds.
    expect(got!.problem).toMatch(/replay window/);
    const fresh = await sendWebhook(request(receiver.url));
    expect(fresh.statusCode).toBe(204);
    expect(receiver.received[1]!.problem).toBeUndefined();
  });

  it("reports a non-2xx status, a redirect not followed, no answer in time, and a refused connection", async () => {
    receiver = await startWebhookReceiver();
    receiver.answer = (_, index) => [500, 302, "hang" as const][index] ?? 204;
    expect(await sendWebhook(request(receiver.url))).toEqual({ statusCode: 500, error: "HTTP 500" });
    expect(await sendWebhook(request(receiver.url))).toEqual({ statusCode: 302, error: "HTTP 302" });
    expect(await sendWebhook(request(receiver.url, { timeoutMs: 50 }))).toEqual({ statusCode: 0, error: "timeout" });
    expect(await sendWebhook(request(`http://127.0.0.1:${await closedPort()}/`))).toEqual({ statusCode: 0, error: "connection refused" });
  });

  it("rejects when its signal aborts: the attempt is not an outcome", async () => {
    receiver = await startWebhookReceiver();
    receiver.answer = () => "hang";
    const controller = new AbortController();
    const sending = sendWebhook(request(receiver.url, { signal: controller.signal }));
    setImmediate(() => controller.abort(new Error("closing")));
    await expect(sending).rejects.toThrow("closing");
  });
});
