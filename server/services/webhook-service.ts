import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { WebhookService } from "../../gen/workspaces/v1/webhook_service_pb.js";
import { requireWorkspaceAccess } from "../auth/require-workspace-access.js";
import type { Store, WebhookEventName } from "../store/store.js";
import {
  validateCreateWebhookRequest,
  validateDeleteWebhookRequest,
  validateListWebhookDeliveriesRequest,
  validateListWebhooksRequest,
} from "../validation/validate-webhook-requests.js";
import { createWebhook } from "../webhooks/create-webhook.js";
import { webhookDeliveryMessage, webhookMessage } from "../webhooks/webhook-messages.js";

export interface WebhookServiceOptions {
  store: Store;
}

const webhookNotFound = (webhookId: string) => new ConnectError(`webhook ${webhookId} not found`, Code.NotFound);

/**
 * Registers, lists and removes a workspace's webhook endpoints and shows
 * their delivery logs. The auth interceptor lets only tokens with the `admin`
 * scope in; each call then needs its token to cover the path's workspace
 * (`not_found` otherwise). The secret is returned by CreateWebhook only.
 */
export function createWebhookService(options: WebhookServiceOptions): ServiceImpl<typeof WebhookService> {
  const { store } = options;
  return {
    async createWebhook(req, ctx) {
      validateCreateWebhookRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      const events = req.events as WebhookEventName[];
      const created = await createWebhook(store, { workspaceId: req.workspaceId, url: req.url, events });
      return { webhook: webhookMessage(created.webhook), secret: created.secret };
    },

    async listWebhooks(req, ctx) {
      validateListWebhooksRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      return { webhooks: (await store.listWebhooks(req.workspaceId, ctx.signal)).map(webhookMessage) };
    },

    async deleteWebhook(req, ctx) {
      validateDeleteWebhookRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      if (!(await store.deleteWebhook(req.workspaceId, req.webhookId))) throw webhookNotFound(req.webhookId);
      return {};
    },

    async listWebhookDeliveries(req, ctx) {
      validateListWebhookDeliveriesRequest(req);
      requireWorkspaceAccess(ctx, req.workspaceId);
      if ((await store.getWebhook(req.workspaceId, req.webhookId, ctx.signal)) === undefined) throw webhookNotFound(req.webhookId);
      const query = { workspaceId: req.workspaceId, webhookId: req.webhookId, limit: req.pageSize || 100 };
      return { deliveries: (await store.listWebhookDeliveries(query, ctx.signal)).map(webhookDeliveryMessage) };
    },
  };
}
