/**
 * The SQL both engines read deliveries with (portable: the same tables and
 * columns on SQLite and PostgreSQL), rows as `webhook-rows.ts` maps them.
 */

export const webhookColumns = "webhook_id, workspace_id, url, events, created_at";

/** A delivery with the event it carries (`d` the delivery, `e` its event, `s` its session, `w` its webhook). */
export const webhookDeliveryColumns = `d.delivery_id, d.webhook_id, d.session_id, d.sequence, d.event, d.status, d.attempts,
  d.last_status_code, d.last_error, d.created_at, d.last_attempt_at, d.next_attempt_at, s.workspace_id,
  COALESCE(NULLIF(e.machine_id, ''), s.machine_id) AS machine_id, e.state, e.exit_code, e.message, e.created_at AS event_time`;

export const webhookDeliveryFrom = `FROM webhook_deliveries d
  JOIN session_events e ON e.session_id = d.session_id AND e.sequence = d.sequence
  JOIN sessions s ON s.session_id = d.session_id
  JOIN webhooks w ON w.webhook_id = d.webhook_id`;

/** The deliveries a claim may take: due, unclaimed, and the first pending of their webhook and session. */
export const claimableWebhookDeliveries = (now: string) => `d.status = 'pending' AND d.next_attempt_at <= ${now} AND d.claimed_until <= ${now}
  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.webhook_id = d.webhook_id
    AND p.session_id = d.session_id AND p.status = 'pending' AND p.sequence < d.sequence)`;
