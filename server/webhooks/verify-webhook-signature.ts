import { timingSafeEqual } from "node:crypto";
import { signWebhook } from "./sign-webhook.js";

/** The replay window: a receiver refuses a `Webhook-Timestamp` further than this from its clock. */
export const webhookReplayWindowMs = 5 * 60_000;

export interface WebhookVerification {
  secret: string;
  /** The `Webhook-Timestamp` header. */
  timestamp: string | undefined;
  /** The `Webhook-Signature` header. */
  signature: string | undefined;
  /** The raw body, as received. */
  body: string;
  /** The receiver's clock, Unix ms. Default: `Date.now()`. */
  now?: number;
}

/**
 * What a receiver checks of a delivery: the timestamp is Unix seconds within
 * the replay window of its clock, and the signature is the one the secret
 * gives, compared in constant time. Undefined when it holds; else why not.
 */
export function verifyWebhookSignature(v: WebhookVerification): string | undefined {
  if (v.timestamp === undefined || !/^\d{1,12}$/.test(v.timestamp)) return "missing or malformed Webhook-Timestamp";
  if (Math.abs((v.now ?? Date.now()) - Number(v.timestamp) * 1000) > webhookReplayWindowMs) return "Webhook-Timestamp outside the replay window";
  if (v.signature === undefined) return "missing Webhook-Signature";
  const expected = Buffer.from(signWebhook(v.secret, v.timestamp, v.body));
  const given = Buffer.from(v.signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : "signature mismatch";
}
