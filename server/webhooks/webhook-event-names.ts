import type { WebhookEventName } from "../store/store.js";

/**
 * The session events a webhook can receive, in the order a session usually
 * goes through them. The store's trigger names them from the stored event
 * types (`accepted` is `launched`; the others keep their names); dispatched,
 * acknowledged, unknown, transcript and heartbeat events are never delivered.
 */
export const webhookEventNames: readonly WebhookEventName[] = ["launched", "running", "awaiting_approval", "exited", "failed", "stopped"];

/** Whether `value` names a webhook event. */
export function isWebhookEventName(value: string): value is WebhookEventName {
  return (webhookEventNames as readonly string[]).includes(value);
}
