import type {
  CreateWebhookRequest,
  DeleteWebhookRequest,
  ListWebhookDeliveriesRequest,
  ListWebhooksRequest,
} from "../../gen/workspaces/v1/webhook_service_pb.js";
import { badRequest } from "../errors/bad-request.js";
import { isWebhookEventName, webhookEventNames } from "../webhooks/webhook-event-names.js";
import { checkId } from "./field-rules.js";
import { addViolation, checkRequired, type ViolationList } from "./violation-list.js";

/**
 * Validators of the WebhookService requests: each checks every field and
 * throws `invalid_argument` with a `google.rpc.BadRequest` naming all the bad ones.
 */

/** Longest endpoint URL. */
export const maxWebhookUrlLength = 2048;
/** Most deliveries one ListWebhookDeliveries returns. */
export const maxDeliveryPageSize = 1000;

const EVENT_RULE = `must be one of ${webhookEventNames.join(", ")}`;
const WEBHOOK_ID_RULE = "must be a webhook id: whk_ followed by 1-60 letters or digits";
const PAGE_SIZE_RULE = `must be between 0 and ${maxDeliveryPageSize} (0 means 100)`;
const webhookIdPattern = /^whk_[A-Za-z0-9]{1,60}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const spaceOrControl = /[\s\u0000-\u001f\u007f]/;

/** What is wrong with an endpoint URL, or undefined. */
export function webhookUrlProblem(value: string): string | undefined {
  if (value.length > maxWebhookUrlLength) return `must be at most ${maxWebhookUrlLength} characters`;
  // A URL parser forgives spaces and control characters; an endpoint must not have them.
  if (spaceOrControl.test(value)) return "must be an http:// or https:// URL without spaces or control characters";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute http:// or https:// URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http:// or https:// URL";
  if (url.hostname === "") return "must name a host";
  if (url.username !== "" || url.password !== "") return "must not carry a user name or password: deliveries are signed instead";
  return undefined;
}

function check(v: ViolationList): void {
  if (v !== undefined) throw badRequest(v);
}

const checkWebhookId = (value: string) => (webhookIdPattern.test(value) ? undefined : WEBHOOK_ID_RULE);

/** CreateWebhook: `workspace_id`, an http(s) `url`, known `events`. */
export function validateCreateWebhookRequest(req: CreateWebhookRequest): void {
  let v = checkRequired(undefined, "workspace_id", req.workspaceId, checkId);
  v = checkRequired(v, "url", req.url, webhookUrlProblem);
  req.events.forEach((event, index) => {
    if (!isWebhookEventName(event)) v = addViolation(v, `events[${index}]`, EVENT_RULE);
  });
  check(v);
}

/** ListWebhooks: `workspace_id`. */
export function validateListWebhooksRequest(req: ListWebhooksRequest): void {
  check(checkRequired(undefined, "workspace_id", req.workspaceId, checkId));
}

/** DeleteWebhook: `workspace_id` and `webhook_id`. */
export function validateDeleteWebhookRequest(req: DeleteWebhookRequest): void {
  let v = checkRequired(undefined, "workspace_id", req.workspaceId, checkId);
  v = checkRequired(v, "webhook_id", req.webhookId, checkWebhookId);
  check(v);
}

/** ListWebhookDeliveries: `workspace_id`, `webhook_id`, `page_size` in 0-1000. */
export function validateListWebhookDeliveriesRequest(req: ListWebhookDeliveriesRequest): void {
  let v = checkRequired(undefined, "workspace_id", req.workspaceId, checkId);
  v = checkRequired(v, "webhook_id", req.webhookId, checkWebhookId);
  if (req.pageSize < 0 || req.pageSize > maxDeliveryPageSize) v = addViolation(v, "page_size", PAGE_SIZE_RULE);
  check(v);
}
