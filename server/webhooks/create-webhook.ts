import { randomBytes } from "node:crypto";
import type { Store, WebhookEventName, WebhookRecord } from "../store/store.js";

/** A webhook just registered, with the secret it signs with: shown only this once. */
export interface CreatedWebhook {
  webhook: WebhookRecord;
  /** `whsec_` and 32 random bytes in base64url. */
  secret: string;
}

/**
 * Registers an endpoint of a workspace with a new id (`whk_` + 12 hex) and
 * secret. Checks nothing: the service validates and authorizes first.
 */
export async function createWebhook(
  store: Store,
  init: { workspaceId: string; url: string; events: readonly WebhookEventName[]; now?: number },
): Promise<CreatedWebhook> {
  const secret = `whsec_${randomBytes(32).toString("base64url")}`;
  const webhook = await store.createWebhook({
    webhookId: `whk_${randomBytes(6).toString("hex")}`,
    workspaceId: init.workspaceId,
    url: init.url,
    events: init.events,
    secret,
    now: init.now ?? Date.now(),
  });
  return { webhook, secret };
}
