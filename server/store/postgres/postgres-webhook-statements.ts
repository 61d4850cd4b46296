import { claimableWebhookDeliveries, webhookColumns, webhookDeliveryColumns, webhookDeliveryFrom } from "../webhook-sql.js";
import { statement } from "./postgres-statements.js";

/**
 * The statements of the PostgreSQL store's webhook methods, named so `pg`
 * prepares each once per connection (see `postgres-statements.ts`).
 */

export const postgresWebhookStatements = {
  insert: statement(
    "insert_webhook",
    `INSERT INTO webhooks (webhook_id, workspace_id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING ${webhookColumns}`,
  ),
  list: statement("list_webhooks", `SELECT ${webhookColumns} FROM webhooks WHERE workspace_id = $1 ORDER BY created_at, webhook_id`),
  get: statement("get_webhook", `SELECT ${webhookColumns} FROM webhooks WHERE workspace_id = $1 AND webhook_id = $2`),
  remove: statement("delete_webhook", "DELETE FROM webhooks WHERE workspace_id = $1 AND webhook_id = $2 RETURNING webhook_id"),
  deliveries: statement(
    "list_webhook_deliveries",
    `SELECT ${webhookDeliveryColumns} ${webhookDeliveryFrom}
     WHERE d.webhook_id = $1 AND w.workspace_id = $2 ORDER BY d.created_at DESC, d.sequence DESC, d.delivery_id DESC LIMIT $3`,
  ),
  /**
   * $1 now, $2 the lease's end, $3 the claim token, $4 the limit. Rows another
   * claim has locked are skipped; the final SELECT reads the rows as they were
   * before the claim, which changes only the claim columns.
   */
  claim: statement(
    "claim_webhook_deliveries",
    `WITH due AS (
       SELECT d.delivery_id FROM webhook_deliveries d
       WHERE ${claimableWebhookDeliveries("$1")}
       ORDER BY d.next_attempt_at, d.sequence LIMIT $4
       FOR UPDATE OF d SKIP LOCKED
     ), claimed AS (
       UPDATE webhook_deliveries u SET claim_token = $3, claimed_until = $2 FROM due
       WHERE u.delivery_id = due.delivery_id RETURNING u.delivery_id
     )
     SELECT ${webhookDeliveryColumns}, w.url, w.secret ${webhookDeliveryFrom}
     JOIN claimed c ON c.delivery_id = d.delivery_id
     ORDER BY d.next_attempt_at, d.sequence`,
  ),
  record: statement(
    "record_webhook_attempt",
    `UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, last_status_code = $2, last_error = $3,
       last_attempt_at = $4, next_attempt_at = $5, claim_token = '', claimed_until = 0
     WHERE delivery_id = $6 AND claim_token = $7 AND status = 'pending' RETURNING delivery_id`,
  ),
  release: statement(
    "release_webhook_claim",
    "UPDATE webhook_deliveries SET claim_token = '', claimed_until = 0 WHERE delivery_id = $1 AND claim_token = $2",
  ),
};
