import { createHmac } from "node:crypto";

/**
 * The `Webhook-Signature` value of a delivery: `v1=` and the lower-case hex
 * HMAC-SHA256, keyed with the secret (its UTF-8 bytes, `whsec_` prefix
 * included), of the `Webhook-Timestamp` value, a `.` and the raw body.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex")}`;
}
