import type { WebhookAttempt, WebhookDeliveryRecord } from "../store/store.js";

/** How deliveries are attempted and retried. */
export interface WebhookRetryPolicy {
  /** The wait after a first failed attempt; doubled after each later one. Default 1 000 ms. */
  initialDelayMs: number;
  /** The longest wait between attempts. Default 300 000 ms (5 min). */
  maxDelayMs: number;
  /** How long after its creation a delivery is retried; no attempt is scheduled later. Default 24 h. */
  retryForMs: number;
  /** How long an attempt waits for an answer. Default 10 000 ms. */
  attemptTimeoutMs: number;
}

export const defaultWebhookRetryPolicy: WebhookRetryPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 300_000,
  retryForMs: 24 * 60 * 60_000,
  attemptTimeoutMs: 10_000,
};

/** The wait after the `attempts`-th failed attempt (1, 2, …): initial · 2^(attempts−1), capped. */
export function webhookRetryDelay(attempts: number, policy: WebhookRetryPolicy = defaultWebhookRetryPolicy): number {
  const doubled = policy.initialDelayMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40);
  return Math.min(doubled, policy.maxDelayMs);
}

/** What one attempt got: a 2xx status delivers. */
export interface WebhookAttemptOutcome {
  /** The HTTP status; 0 when no answer came. */
  statusCode: number;
  /** Why it failed ("" when delivered). */
  error: string;
}

/**
 * The record of an attempt made at `now`: `delivered` on a 2xx; else
 * `pending` with the next attempt after the backoff, or `failed` when that
 * would fall past `retryForMs` after the delivery's creation.
 */
export function webhookAttemptRecord(
  delivery: Pick<WebhookDeliveryRecord, "deliveryId" | "attempts" | "createdAt"> & { claimToken: string },
  outcome: WebhookAttemptOutcome,
  now: number,
  policy: WebhookRetryPolicy = defaultWebhookRetryPolicy,
): WebhookAttempt {
  const base = { deliveryId: delivery.deliveryId, claimToken: delivery.claimToken, statusCode: outcome.statusCode, attemptedAt: now };
  if (outcome.statusCode >= 200 && outcome.statusCode < 300) return { ...base, status: "delivered", error: "", nextAttemptAt: now };
  const next = now + webhookRetryDelay(delivery.attempts + 1, policy);
  const status = next > delivery.createdAt + policy.retryForMs ? "failed" : "pending";
  return { ...base, status, error: outcome.error, nextAttemptAt: next };
}
