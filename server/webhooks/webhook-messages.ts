import { create, toJsonString } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Webhook,
  type WebhookDelivery,
  WebhookDeliverySchema,
  type WebhookEvent,
  WebhookEventSchema,
  WebhookSchema,
} from "../../gen/workspaces/v1/webhook_service_pb.js";
import type { WebhookDeliveryRecord, WebhookEventRecord, WebhookRecord } from "../store/store.js";

/** An endpoint as the API shows it (never its secret). */
export function webhookMessage(record: WebhookRecord): Webhook {
  return create(WebhookSchema, {
    webhookId: record.webhookId,
    workspaceId: record.workspaceId,
    url: record.url,
    events: record.events,
    createTime: timestampFromMs(record.createdAt),
  });
}

/** The event a delivery carries. */
export function webhookEventMessage(deliveryId: string, event: WebhookEventRecord): WebhookEvent {
  return create(WebhookEventSchema, {
    deliveryId,
    event: event.event,
    workspaceId: event.workspaceId,
    sessionId: event.sessionId,
    machineId: event.machineId,
    sequence: BigInt(event.sequence),
    time: timestampFromMs(event.time),
    state: event.state,
    message: event.message,
    ...(event.exitCode !== undefined ? { exitCode: event.exitCode } : {}),
  });
}

/** A delivery of the log, with its last status. */
export function webhookDeliveryMessage(record: WebhookDeliveryRecord): WebhookDelivery {
  return create(WebhookDeliverySchema, {
    deliveryId: record.deliveryId,
    webhookId: record.webhookId,
    event: webhookEventMessage(record.deliveryId, record.event),
    status: record.status,
    attempts: record.attempts,
    lastStatusCode: record.lastStatusCode,
    lastError: record.lastError,
    createTime: timestampFromMs(record.createdAt),
    ...(record.lastAttemptAt !== undefined ? { lastAttemptTime: timestampFromMs(record.lastAttemptAt) } : {}),
    ...(record.nextAttemptAt !== undefined ? { nextAttemptTime: timestampFromMs(record.nextAttemptAt) } : {}),
  });
}

/**
 * The body of a delivery: the WebhookEvent in JSON with proto field names and
 * every field but an absent `exit_code` (`sequence`, a uint64, is a decimal
 * string). The same on every attempt: it is built from the stored event.
 */
export function webhookEventBody(deliveryId: string, event: WebhookEventRecord): string {
  return toJsonString(WebhookEventSchema, webhookEventMessage(deliveryId, event), { useProtoFieldName: true, alwaysEmitImplicit: true });
}
