import { describe, expect, it } from "vitest";
import { defaultWebhookRetryPolicy, webhookAttemptRecord, webhookRetryDelay } from "../../../server/webhooks/webhook-retry-policy.js";

const delivery = { deliveryId: "whd_1", claimToken: "c", attempts: 0, createdAt: 0 };
const failed = { statusCode: 500, error: "HTTP 500" };

describe("webhookRetryDelay", () => {
  it("waits 1 s after the first failure, doubling up to 5 minutes", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => webhookRetryDelay(n))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000,
    ]);
    expect(webhookRetryDelay(500)).toBe(300_000);
  });

  it("follows a policy's own initial delay and cap", () => {
    const policy = { ...defaultWebhookRetryPolicy, initialDelayMs: 10, maxDelayMs: 35 };
    expect([1, 2, 3, 4].map((n) => webhookRetryDelay(n, policy))).toEqual([10, 20, 35, 35]);
  });
});

describe("webhookAttemptRecord", () => {
  it("delivers on any 2xx", () => {
    for (const statusCode of [200, 202, 204, 299]) {
      expect(webhookAttemptRecord(delivery, { statusCode, error: "" }, 5)).toMatchObject({ status: "delivered", statusCode, error: "", attemptedAt: 5 });
    }
  });

  it("retries anything else after the backoff of its attempt count", () => {
    for (const outcome of [failed, { statusCode: 0, error: "timeout" }, { statusCode: 302, error: "HTTP 302" }, { statusCode: 410, error: "HTTP 410" }]) {
      expect(webhookAttemptRecord({ ...delivery, attempts: 2 }, outcome, 10_000)).toMatchObject({
        status: "pending",
        statusCode: outcome.statusCode,
        error: outcome.error,
        nextAttemptAt: 14_000,
      });
    }
  });

  it("fails a delivery whose next attempt would fall past 24 hours after its creation", () => {
    const day = 24 * 60 * 60_000;
    expect(webhookAttemptRecord({ ...delivery, attempts: 300 }, failed, day - 300_000)).toMatchObject({ status: "pending", nextAttemptAt: day });
    expect(webhookAttemptRecord({ ...delivery, attempts: 300 }, failed, day - 299_999)).toMatchObject({ status: "failed", error: "HTTP 500" });
  });
});
