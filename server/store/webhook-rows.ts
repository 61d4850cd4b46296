import type { WebhookDeliveryRecord, WebhookDeliveryStatus, WebhookEventName, WebhookRecord } from "./webhook-records.js";

/**
 * The webhook rows both engines read, with the same column names: integers
 * arrive as numbers (SQLite) or decimal strings (PostgreSQL BIGINT) and leave
 * as numbers; NULL is undefined. A webhook's events are given as an array
 * (each engine splits its own column).
 */

type Int = number | string;

export interface WebhookRow {
  webhook_id: string;
  workspace_id: string;
  url: string;
  created_at: Int;
}

export interface WebhookDeliveryRow {
  delivery_id: string;
  webhook_id: string;
  session_id: string;
  sequence: Int;
  event: string;
  status: string;
  attempts: Int;
  last_status_code: Int;
  last_error: string;
  created_at: Int;
  last_attempt_at: Int | null;
  next_attempt_at: Int;
  workspace_id: string;
  machine_id: string;
  state: string;
  exit_code: Int | null;
  message: string;
  event_time: Int;
}

/** What a claim reads besides the delivery. */
export interface ClaimedWebhookRow extends WebhookDeliveryRow {
  url: string;
  secret: string;
}

const maybe = (value: Int | null): number | undefined => (value === null ? undefined : Number(value));

export function webhookFromRow(row: WebhookRow, events: readonly string[]): WebhookRecord {
  return {
    webhookId: row.webhook_id,
    workspaceId: row.workspace_id,
    url: row.url,
    events: events as WebhookEventName[],
    createdAt: Number(row.created_at),
  };
}

export function webhookDeliveryFromRow(row: WebhookDeliveryRow): WebhookDeliveryRecord {
  const status = row.status as WebhookDeliveryStatus;
  return {
    deliveryId: row.delivery_id,
    webhookId: row.webhook_id,
    event: {
      event: row.event as WebhookEventName,
      workspaceId: row.workspace_id,
      sessionId: row.session_id,
      machineId: row.machine_id,
      sequence: Number(row.sequence),
      time: Number(row.event_time),
      state: row.state,
      exitCode: maybe(row.exit_code),
      message: row.message,
    },
    status,
    attempts: Number(row.attempts),
    lastStatusCode: Number(row.last_status_code),
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    lastAttemptAt: maybe(row.last_attempt_at),
    nextAttemptAt: status === "pending" ? Number(row.next_attempt_at) : undefined,
  };
}
