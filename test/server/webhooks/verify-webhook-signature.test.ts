import { describe, expect, it } from "vitest";
import { signWebhook } from "../../../server/webhooks/sign-webhook.js";
import { verifyWebhookSignature, webhookReplayWindowMs } from "../../../server/webhooks/verify-webhook-signature.js";

const now = 1_700_000_000_000;
const timestamp = String(now / 1000);
const body = '{"delivery_id":"whd_1"}';
const signature = signWebhook("whsec_s", timestamp, body);

describe("verifyWebhookSignature", () => {
  it("accepts the signature of the secret within the replay window", () => {
    expect(verifyWebhookSignature({ secret: "whsec_s", timestamp, signature, body, now })).toBeUndefined();
    expect(verifyWebhookSignature({ secret: "whsec_s", timestamp, signature, body, now: now + webhookReplayWindowMs })).toBeUndefined();
  });

  it("refuses a timestamp outside the 5-minute window, missing or malformed", () => {
    expect(webhookReplayWindowMs).toBe(300_000);
    expect(verifyWebhookSignature({ secret: "whsec_s", timestamp, signature, body, now: now + webhookReplayWindowMs + 1000 })).toMatch(/replay window/);
    expect(verifyWebhookSignature({ secret: "whsec_s", timestamp, signature, body, now: now - webhookReplayWindowMs - 1000 })).toMatch(/replay window/);
    expect(verifyWebhookSignature({ secret: "whsec_s", timestamp: undefined, signature, body, now })).toMatch(/Timestamp/);
    expect(verifyWebhookSignature({ secret: "whsec_s", timestamp: "12.5", signature, body, now })).toMatch(/Timestamp/);
  });

  it("refuses another secret, another body, a missing or truncated signature", () => {
    expect(verifyWebhookSignature({ secret: "whsec_x", timestamp, signature, body, now })).toBe("signature mismatch");
    expect(verifyWebhookSignature({ secret: "whsec_s", timestamp, signature, body: `${body} `, now })).toBe("signature mismatch");
    expect(verifyWebhookSignature({ secret: "whsec_s", timestamp, signature: signature.slice(0, -1), body, now })).toBe("signature mismatch");
    expect(verifyWebhookSignature({ secret: "whsec_s", timestamp, signature: undefined, body, now })).toMatch(/missing/);
  });
});
