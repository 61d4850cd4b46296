import type {
  ClaimedWebhookDelivery,
  NewWebhook,
  WebhookAttempt,
  WebhookClaim,
  WebhookDeliveryQuery,
  WebhookDeliveryRecord,
  WebhookRecord,
} from "./webhook-records.js";

/**
 * The Store's webhook methods (part of `Store`). Deliveries are made by the
 * database itself: a trigger on `session_events` inserts, in the transaction
 * that stores the event, one `pending` delivery for every webhook of the
 * session's workspace that takes the event (`accepted` is `launched`;
 * `running`, `awaiting_approval`, `exited`, `failed`, `stopped` keep their
 * names; no other type is delivered). So no event is committed without its
 * deliveries, whichever code path or replica stored it, and a crash cannot
 * come between them.
 */
export interface WebhookStore {
  /** Stores an endpoint with its secret; returns it without the secret. */
  createWebhook(init: NewWebhook): Promise<WebhookRecord>;
  /** The workspace's endpoints, oldest first (create time, then id). */
  listWebhooks(workspaceId: string, signal?: AbortSignal): Promise<WebhookRecord[]>;
  getWebhook(workspaceId: string, webhookId: string, signal?: AbortSignal): Promise<WebhookRecord | undefined>;
  /** Removes an endpoint of the workspace and its deliveries; false when it has no such endpoint. */
  deleteWebhook(workspaceId: string, webhookId: string): Promise<boolean>;
  /** A webhook's deliveries, newest first (create time, then sequence, then id), at most `limit`. */
  listWebhookDeliveries(query: WebhookDeliveryQuery, signal?: AbortSignal): Promise<WebhookDeliveryRecord[]>;
  /**
   * Claims up to `limit` deliveries for an attempt, soonest due first: each
   * `pending`, due by `now`, not held by a live claim, and the first still
   * pending of its webhook and session (by sequence), so a session's events
   * go out one at a time, in order. Claims from any number of replicas at once
   * never take one delivery twice (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
   */
  claimWebhookDeliveries(claim: WebhookClaim): Promise<ClaimedWebhookDelivery[]>;
  /**
   * Records an attempt and ends its claim: attempts + 1, the last status, and
   * the new status. False, with nothing written, when the claim is no longer
   * the delivery's (it lapsed and another claim took it, or it was deleted).
   */
  recordWebhookAttempt(attempt: WebhookAttempt): Promise<boolean>;
  /** Ends a claim without an attempt (the server is closing): the delivery is due again at once. */
  releaseWebhookClaim(deliveryId: string, claimToken: string): Promise<void>;
}
