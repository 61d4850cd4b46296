import type { WebhookStore } from "../store.js";
import {
  type ClaimedWebhookRow,
  type WebhookDeliveryRow,
  type WebhookRow,
  webhookDeliveryFromRow,
  webhookFromRow,
} from "../webhook-rows.js";
import type { PostgresRunner } from "./create-postgres-runner.js";
import { text } from "./postgres-rows.js";
import { postgresWebhookStatements as sql } from "./postgres-webhook-statements.js";

/** PostgreSQL keeps a webhook's events as `text[]`, empty for all. */
interface PostgresWebhookRow extends WebhookRow {
  events: string[];
}

const webhook = (row: PostgresWebhookRow) => webhookFromRow(row, row.events);

/**
 * The PostgreSQL store's webhook methods (see `WebhookStore`; the deliveries
 * are written by the trigger of `postgres-webhook-schema.ts`). A claim is one
 * statement whose rows are locked `FOR UPDATE SKIP LOCKED`: replicas claiming
 * at once take different deliveries, and none waits for another's lock.
 */
export function postgresWebhookMethods(run: PostgresRunner): WebhookStore {
  return {
    async createWebhook(init) {
      const statement = sql.insert(init.webhookId, init.workspaceId, text(init.url), [...new Set(init.events)], init.secret, init.now);
      const [row] = await run.rows<PostgresWebhookRow>("webhook", undefined, statement);
      return webhook(row!);
    },
    async listWebhooks(workspaceId, signal) {
      return (await run.rows<PostgresWebhookRow>("webhook", signal, sql.list(workspaceId))).map(webhook);
    },
    async getWebhook(workspaceId, webhookId, signal) {
      const [row] = await run.rows<PostgresWebhookRow>("webhook", signal, sql.get(workspaceId, webhookId));
      return row && webhook(row);
    },
    async deleteWebhook(workspaceId, webhookId) {
      return (await run.rows("webhook", undefined, sql.remove(workspaceId, webhookId))).length > 0;
    },
    async listWebhookDeliveries(query, signal) {
      const limit = Math.max(0, Math.floor(query.limit));
      const rows = await run.rows<WebhookDeliveryRow>("webhook delivery", signal, sql.deliveries(query.webhookId, query.workspaceId, limit));
      return rows.map(webhookDeliveryFromRow);
    },
    async claimWebhookDeliveries(c) {
      const statement = sql.claim(c.now, c.leaseUntil, c.claimToken, Math.max(0, Math.floor(c.limit)));
      const rows = await run.rows<ClaimedWebhookRow>("webhook delivery", undefined, statement);
      return rows.map((row) => ({ ...webhookDeliveryFromRow(row), url: row.url, secret: row.secret, claimToken: c.claimToken }));
    },
    async recordWebhookAttempt(a) {
      const statement = sql.record(a.status, a.statusCode, text(a.error), a.attemptedAt, a.nextAttemptAt, a.deliveryId, a.claimToken);
      return (await run.rows("webhook delivery", undefined, statement)).length > 0;
    },
    async releaseWebhookClaim(deliveryId, claimToken) {
      await run.rows("webhook delivery", undefined, sql.release(deliveryId, claimToken));
    },
  };
}
