import type Database from "better-sqlite3";
import type { ClaimedWebhookDelivery, WebhookRecord, WebhookStore } from "../store.js";
import {
  type ClaimedWebhookRow,
  type WebhookDeliveryRow,
  type WebhookRow,
  webhookDeliveryFromRow,
  webhookFromRow,
} from "../webhook-rows.js";
import type { SqliteStatements } from "./sqlite-statements.js";
import { claimableWebhookDeliveries, webhookColumns, webhookDeliveryColumns, webhookDeliveryFrom } from "../webhook-sql.js";

/** Runs a store call with the engine's error mapping (the store's own `run`). */
type Run = <T>(noun: string, signal: AbortSignal | undefined, fn: (s: SqliteStatements) => T) => T;


/** SQLite keeps a webhook's events space-separated, "" for all. */
interface SqliteWebhookRow extends WebhookRow {
  events: string;
}

const webhook = (row: SqliteWebhookRow): WebhookRecord => webhookFromRow(row, row.events === "" ? [] : row.events.split(" "));

function prepare(db: Database.Database) {
  return {
    insert: db.prepare<[string, string, string, string, string, number], SqliteWebhookRow>(
      `INSERT INTO webhooks (webhook_id, workspace_id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${webhookColumns}`,
    ),
    list: db.prepare<[string], SqliteWebhookRow>(`SELECT ${webhookColumns} FROM webhooks WHERE workspace_id = ? ORDER BY created_at, webhook_id`),
    get: db.prepare<[string, string], SqliteWebhookRow>(`SELECT ${webhookColumns} FROM webhooks WHERE workspace_id = ? AND webhook_id = ?`),
    remove: db.prepare<[string, string]>("DELETE FROM webhooks WHERE workspace_id = ? AND webhook_id = ?"),
    deliveries: db.prepare<[string, string, number], WebhookDeliveryRow>(
      `SELECT ${webhookDeliveryColumns} ${webhookDeliveryFrom}
       WHERE d.webhook_id = ? AND w.workspace_id = ? ORDER BY d.created_at DESC, d.sequence DESC, d.delivery_id DESC LIMIT ?`,
    ),
    claim: db
      .prepare<{ now: number; lease: number; token: string; limit: number }, string>(
        `UPDATE webhook_deliveries SET claim_token = @token, claimed_until = @lease WHERE delivery_id IN (
           SELECT d.delivery_id FROM webhook_deliveries d
           WHERE ${claimableWebhookDeliveries("@now")}
           ORDER BY d.next_attempt_at, d.sequence LIMIT @limit)
         RETURNING delivery_id`,
      )
      .pluck(),
    claimed: db.prepare<[string], ClaimedWebhookRow>(
      `SELECT ${webhookDeliveryColumns}, w.url, w.secret ${webhookDeliveryFrom}
       WHERE d.delivery_id IN (SELECT value FROM json_each(?)) ORDER BY d.next_attempt_at, d.sequence`,
    ),
    record: db.prepare<[string, number, string, number, number, string, string]>(
      `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status_code = ?, last_error = ?,
         last_attempt_at = ?, next_attempt_at = ?, claim_token = '', claimed_until = 0
       WHERE delivery_id = ? AND claim_token = ? AND status = 'pending'`,
    ),
    release: db.prepare<[string, string]>(
      "UPDATE webhook_deliveries SET claim_token = '', claimed_until = 0 WHERE delivery_id = ? AND claim_token = ?",
    ),
  };
}

/**
 * The SQLite store's webhook methods (see `WebhookStore`; the deliveries are
 * written by the trigger of `sqlite-webhook-schema.ts`). A claim is one
 * UPDATE, so two connections to one file never claim one delivery twice.
 */
export function sqliteWebhookMethods(db: Database.Database, run: Run): WebhookStore {
  let statements: ReturnType<typeof prepare> | undefined;
  const w = () => {
    statements ??= prepare(db);
    return statements;
  };
  const claim = db.transaction((now: number, lease: number, token: string, limit: number): ClaimedWebhookDelivery[] => {
    const ids = w().claim.all({ now, lease, token, limit });
    if (ids.length === 0) return [];
    return w()
      .claimed.all(JSON.stringify(ids))
      .map((row) => ({ ...webhookDeliveryFromRow(row), url: row.url, secret: row.secret, claimToken: token }));
  });

  return {
    async createWebhook(init) {
      const events = [...new Set(init.events)].join(" ");
      return run("webhook", undefined, () =>
        webhook(w().insert.get(init.webhookId, init.workspaceId, init.url, events, init.secret, init.now)!),
      );
    },
    async listWebhooks(workspaceId, signal) {
      return run("webhook", signal, () => w().list.all(workspaceId).map(webhook));
    },
    async getWebhook(workspaceId, webhookId, signal) {
      return run("webhook", signal, () => {
        const row = w().get.get(workspaceId, webhookId);
        return row && webhook(row);
      });
    },
    async deleteWebhook(workspaceId, webhookId) {
      return run("webhook", undefined, () => w().remove.run(workspaceId, webhookId).changes > 0);
    },
    async listWebhookDeliveries(query, signal) {
      const limit = Math.max(0, Math.floor(query.limit));
      return run("webhook delivery", signal, () => w().deliveries.all(query.webhookId, query.workspaceId, limit).map(webhookDeliveryFromRow));
    },
    async claimWebhookDeliveries(c) {
      return run("webhook delivery", undefined, () => claim.immediate(c.now, c.leaseUntil, c.claimToken, Math.max(0, Math.floor(c.limit))));
    },
    async recordWebhookAttempt(a) {
      return run("webhook delivery", undefined, () =>
        w().record.run(a.status, a.statusCode, a.error, a.attemptedAt, a.nextAttemptAt, a.deliveryId, a.claimToken).changes > 0,
      );
    },
    async releaseWebhookClaim(deliveryId, claimToken) {
      run("webhook delivery", undefined, () => void w().release.run(deliveryId, claimToken));
    },
  };
}
