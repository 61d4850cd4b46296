import { parseArgs } from "node:util";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { toJson } from "@bufbuild/protobuf";
import { type ApiToken, ApiTokenSchema } from "../../gen/workspaces/v1/token_service_pb.js";
import { apiJsonOptions, type CliIo, exitCode, formatTable, printJson } from "./cli-output.js";
import { clientFromOptions, clientOptions, clientOptionsHelp, requireWorkspace, runClientVerb } from "./client-options.js";
import { UsageError } from "./usage-error.js";

const usage = `Usage: wsctl tokens create --workspace W [--scope S ...] [--label TEXT]
       wsctl tokens list --workspace W
       wsctl tokens revoke --workspace W TOKEN_ID

Manages the API tokens of a workspace over the API; the token used needs the admin scope
("wsctl admin create-token --workspace W --scope admin" makes the first one). Scopes: sessions
(the default: launch and follow sessions, list machines), machines:register (register
machines), admin (everything, tokens included). create prints the new token alone on the last
line: it is shown only once.

Options:
  --workspace W           the workspace
  --scope S               a scope of the new token; repeatable
  --label TEXT            what the new token is for

${clientOptionsHelp}

Examples:
  wsctl tokens create --workspace acme --scope machines:register --label "laptop setup" | tail -n 1
  wsctl tokens list --workspace acme
  wsctl tokens revoke --workspace acme tok_0123456789ab
`;

const options = {
  ...clientOptions,
  workspace: { type: "string" },
  scope: { type: "string", multiple: true },
  label: { type: "string" },
} as const;

function tokenRow(t: ApiToken): string[] {
  const created = t.createTime ? timestampDate(t.createTime).toISOString() : "-";
  const state = t.revokeTime ? `revoked ${timestampDate(t.revokeTime).toISOString()}` : "live";
  return [t.tokenId, t.scopes.join(",") || "-", created, state, t.label];
}

const asJson = (t: ApiToken) => toJson(ApiTokenSchema, t, apiJsonOptions);

/** `wsctl tokens create|list|revoke`: a workspace's API tokens through `TokenService`. */
export async function runTokens(args: string[], io: CliIo): Promise<number> {
  return runClientVerb("tokens", io, async (progress) => {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(usage);
      return exitCode.ok;
    }
    const [verb, ...rest] = positionals;
    if (verb !== "create" && verb !== "list" && verb !== "revoke") throw new UsageError("give a verb: create, list or revoke");
    if (verb !== "create" && (values.scope !== undefined || values.label !== undefined)) throw new UsageError("--scope and --label are for create");
    if (rest.length !== (verb === "revoke" ? 1 : 0)) throw new UsageError(verb === "revoke" ? "revoke takes one TOKEN_ID" : `${verb} takes no arguments`);
    const connection = clientFromOptions(values, io);
    const { client } = connection;
    const workspaceId = requireWorkspace(connection.workspaceId);
    progress.update(`${verb === "list" ? "listing" : verb === "create" ? "creating" : "revoking"} tokens…`);
    if (verb === "create") {
      const res = await client.tokens.createApiToken({ workspaceId, scopes: values.scope ?? [], label: values.label ?? "" }, { signal: io.signal });
      progress.clear();
      if (values.json) printJson(io, { token: res.token, api_token: res.apiToken ? asJson(res.apiToken) : null });
      else io.stdout(`created API token ${res.apiToken?.tokenId} (scopes: ${res.apiToken?.scopes.join(", ")}); it is shown only once:\n${res.token}\n`);
    } else if (verb === "list") {
      const { apiTokens } = await client.tokens.listApiTokens({ workspaceId }, { signal: io.signal });
      progress.clear();
      if (values.json) printJson(io, { api_tokens: apiTokens.map(asJson) });
      else io.stdout(`${formatTable([["TOKEN", "SCOPES", "CREATED", "STATE", "LABEL"], ...apiTokens.map(tokenRow)]).join("\n")}\n`);
    } else {
      const res = await client.tokens.revokeApiToken({ workspaceId, tokenId: rest[0] ?? "" }, { signal: io.signal });
      progress.clear();
      if (values.json) printJson(io, { api_token: res.apiToken ? asJson(res.apiToken) : null });
      else io.stdout(`revoked token ${res.apiToken?.tokenId}\n`);
    }
    return exitCode.ok;
  });
}
