// The values the Store's webhook methods (webhook-store.ts) take and return.
// store.ts re-exports every one of them.

/** A session event a webhook can receive (the stored event type, `accepted` named `launched`). */
export type WebhookEventName = "launched" | "running" | "awaiting_approval" | "exited" | "failed" | "stopped";

/** Where a delivery stands: `pending` (waiting or retrying), `delivered`, or `failed` (retries ran out). */
export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

export interface NewWebhook {
  webhookId: string;
  workspaceId: string;
  url: string;
  /** Events it receives; empty for all. */
  events: readonly WebhookEventName[];
  /** The signing key. Stored so the server can sign; never returned by a read. */
  secret: string;
  now: number;
}

/** A registered endpoint as reads return it: never with its secret. */
export interface WebhookRecord {
  webhookId: string;
  workspaceId: string;
  url: string;
  /** In the order given at creation, repeats once; empty for all. */
  events: WebhookEventName[];
  createdAt: number;
}

/** The session event a delivery carries, as stored. */
export interface WebhookEventRecord {
  event: WebhookEventName;
  workspaceId: string;
  sessionId: string;
  machineId: string;
  sequence: number;
  /** When the event happened, Unix ms. */
  time: number;
  /** The session's state after the event. */
  state: string;
  exitCode: number | undefined;
  message: string;
}

/** One event's delivery to one endpoint, with its last status. */
export interface WebhookDeliveryRecord {
  deliveryId: string;
  webhookId: string;
  event: WebhookEventRecord;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** HTTP status of the last attempt; 0 when it got no answer (or before the first). */
  lastStatusCode: number;
  lastError: string;
  createdAt: number;
  lastAttemptAt: number | undefined;
  /** When the next attempt is due, while `pending`. */
  nextAttemptAt: number | undefined;
}

/** A delivery claimed for an attempt: what is needed to send and sign it. */
export interface ClaimedWebhookDelivery extends WebhookDeliveryRecord {
  url: string;
  secret: string;
  /** What the claim was made with; the attempt is recorded (or released) with it. */
  claimToken: string;
}

/** Which deliveries `claimWebhookDeliveries` takes. */
export interface WebhookClaim {
  /** Only deliveries due by then, whose earlier deliveries (same webhook, same session) are all settled. */
  now: number;
  /** The claim holds until then: no other claim takes the delivery before, unless it is recorded or released. */
  leaseUntil: number;
  limit: number;
  /** Unique per claim call. */
  claimToken: string;
}

/** The outcome of one attempt, as `recordWebhookAttempt` stores it. */
export interface WebhookAttempt {
  deliveryId: string;
  claimToken: string;
  /** `delivered`, `pending` (retry at `nextAttemptAt`) or `failed` (no retry). */
  status: WebhookDeliveryStatus;
  statusCode: number;
  error: string;
  attemptedAt: number;
  /** When `status` is `pending`: the retry's time. */
  nextAttemptAt: number;
}

/** Which deliveries `listWebhookDeliveries` returns: a webhook's, newest first. */
export interface WebhookDeliveryQuery {
  workspaceId: string;
  webhookId: string;
  limit: number;
}
