import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { type Webhook, type WebhookDelivery, WebhookDeliverySchema, WebhookSchema } from "../../gen/workspaces/v1/webhook_service_pb.js";
import { type CliIo, exitCode, formatTable, printJson } from "./cli-output.js";
import { clientFromOptions, clientOptions, clientOptionsHelp, parseWholeNumber, requireWorkspace, runClientVerb } from "./client-options.js";
import { UsageError } from "./usage-error.js";

const usage = `Usage: wsctl webhooks create --workspace W --url URL [--event E ...]
       wsctl webhooks list --workspace W
       wsctl webhooks delete --workspace W WEBHOOK_ID
       wsctl webhooks deliveries --workspace W WEBHOOK_ID [--limit N]

Manages the webhook endpoints of a workspace over the API; the token used needs the admin
scope. An endpoint receives the workspace's session events as signed JSON POSTs: launched,
running, awaiting_approval, exited, failed, stopped (all of them without --event). create
prints the signing secret alone on the last line: it is shown only once. deliveries shows an
endpoint's delivery log, newest first, with each delivery's last status.

Options:
  --workspace W           the workspace
  --url URL               the endpoint, http:// or https://
  --event E               an event the endpoint receives; repeatable
  --limit N               at most N deliveries (1-1000, default 100)

${clientOptionsHelp}

Examples:
  wsctl webhooks create --workspace acme --url https://hooks.example.com/wsctl --event exited --event failed | tail -n 1
  wsctl webhooks list --workspace acme
  wsctl webhooks deliveries --workspace acme whk_0123456789ab
  wsctl webhooks delete --workspace acme whk_0123456789ab
`;

const options = {
  ...clientOptions,
  workspace: { type: "string" },
  url: { type: "string" },
  event: { type: "string", multiple: true },
  limit: { type: "string" },
} as const;

const verbs = ["create", "list", "delete", "deliveries"] as const;
type Verb = (typeof verbs)[number];
const doing: Record<Verb, string> = { create: "creating", list: "listing", delete: "deleting", deliveries: "listing deliveries of" };

const time = (t: Timestamp | undefined) => (t ? timestampDate(t).toISOString() : "-");
const webhookRow = (w: Webhook) => [w.webhookId, w.url, w.events.join(",") || "all", time(w.createTime)];
const deliveryRow = (d: WebhookDelivery) => [
  d.deliveryId,
  d.event?.event ?? "-",
  d.event?.sessionId ?? "-",
  d.status,
  String(d.attempts),
  d.lastStatusCode ? String(d.lastStatusCode) : "-",
  time(d.lastAttemptTime),
  d.lastError,
];
const webhookJson = (w: Webhook) => toJson(WebhookSchema, w, { useProtoFieldName: true });
const deliveryJson = (d: WebhookDelivery) => toJson(WebhookDeliverySchema, d, { useProtoFieldName: true });

/** `wsctl webhooks create|list|delete|deliveries`: a workspace's webhook endpoints through `WebhookService`. */
export async function runWebhooks(args: string[], io: CliIo): Promise<number> {
  return runClientVerb("webhooks", io, async (progress) => {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(usage);
      return exitCode.ok;
    }
    const [verb, ...rest] = positionals;
    if (!verbs.includes(verb as Verb)) throw new UsageError("give a verb: create, list, delete or deliveries");
    if (verb === "create" && !values.url) throw new UsageError("create needs --url URL");
    if (verb !== "create" && (values.url !== undefined || values.event !== undefined)) throw new UsageError("--url and --event are for create");
    if (verb !== "deliveries" && values.limit !== undefined) throw new UsageError("--limit is for deliveries");
    const takesId = verb === "delete" || verb === "deliveries";
    if (rest.length !== (takesId ? 1 : 0)) throw new UsageError(takesId ? `${verb} takes one WEBHOOK_ID` : `${verb} takes no arguments`);
    const pageSize = values.limit === undefined ? 0 : parseWholeNumber("--limit", values.limit, 1, 1000);
    const connection = clientFromOptions(values, io);
    const { client } = connection;
    const workspaceId = requireWorkspace(connection.workspaceId);
    const webhookId = rest[0] ?? "";
    const call = { signal: io.signal };
    progress.update(`${doing[verb as Verb]} webhooks…`);
    if (verb === "create") {
      const res = await client.webhooks.createWebhook({ workspaceId, url: values.url ?? "", events: values.event ?? [] }, call);
      progress.clear();
      if (values.json) printJson(io, { webhook: res.webhook ? webhookJson(res.webhook) : null, secret: res.secret });
      else io.stdout(`created webhook ${res.webhook?.webhookId} for ${res.webhook?.events.join(", ") || "all events"}; its signing secret is shown only once:\n${res.secret}\n`);
    } else if (verb === "list") {
      const { webhooks } = await client.webhooks.listWebhooks({ workspaceId }, call);
      progress.clear();
      if (values.json) printJson(io, { webhooks: webhooks.map(webhookJson) });
      else io.stdout(`${formatTable([["WEBHOOK", "URL", "EVENTS", "CREATED"], ...webhooks.map(webhookRow)]).join("\n")}\n`);
    } else if (verb === "delete") {
      await client.webhooks.deleteWebhook({ workspaceId, webhookId }, call);
      progress.clear();
      if (values.json) printJson(io, {});
      else io.stdout(`deleted webhook ${webhookId}\n`);
    } else {
      const { deliveries } = await client.webhooks.listWebhookDeliveries({ workspaceId, webhookId, pageSize }, call);
      progress.clear();
      if (values.json) printJson(io, { deliveries: deliveries.map(deliveryJson) });
      else io.stdout(`${formatTable([["DELIVERY", "EVENT", "SESSION", "STATUS", "ATTEMPTS", "HTTP", "LAST ATTEMPT", "ERROR"], ...deliveries.map(deliveryRow)]).join("\n")}\n`);
    }
    return exitCode.ok;
  });
}
