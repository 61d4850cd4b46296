import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { PermissionRequestSchema } from "../../gen/workspaces/v1/permission_pb.js";
import { apiJsonOptions, type CliIo, exitCode, printJson } from "./cli-output.js";
import { clientFromOptions, clientOptions, clientOptionsHelp, requireWorkspace, runClientVerb } from "./client-options.js";
import { formatPermissionTable } from "./format-permission-request.js";
import { UsageError } from "./usage-error.js";

const usage = `Usage: wsctl approvals --workspace W [--session ID]

Lists the permission requests of the workspace's agents that wait for an
answer, oldest first: the session, the request, the tool and its most telling
argument (for Bash, the command), how long it has waited and when the
workspace's default decision applies. Answer one with "wsctl approve" or
"wsctl deny".

Options:
  --workspace W           workspace whose requests are listed (required)
  --session ID            only the requests of this session

${clientOptionsHelp}

Examples:
  wsctl approvals --workspace acme
  wsctl approvals --workspace acme --session 5f0c2a9e-1b7d-4c1e-9a51-0c7e5d1f2b3a --json
`;

const options = {
  ...clientOptions,
  workspace: { type: "string" },
  session: { type: "string" },
} as const;

/** `wsctl approvals`: the pending permission requests of a workspace (or of one session). */
export async function runApprovals(args: string[], io: CliIo): Promise<number> {
  return runClientVerb("approvals", io, async (progress) => {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(usage);
      return exitCode.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const connection = clientFromOptions(values, io);
    const { client } = connection;
    const workspaceId = requireWorkspace(connection.workspaceId);
    progress.update("listing pending permission requests…");
    const { requests } = await client.permissions.listPendingPermissionRequests(
      { workspaceId, sessionId: values.session ?? "" },
      { signal: io.signal },
    );
    progress.clear();
    if (values.json) {
      printJson(io, { requests: requests.map((r) => toJson(PermissionRequestSchema, r, apiJsonOptions)) });
    } else if (requests.length === 0) {
      io.stdout(`no pending permission requests${values.session ? ` in session ${values.session}` : ""}\n`);
    } else {
      io.stdout(`${formatPermissionTable(requests, Date.now()).join("\n")}\n`);
    }
    return exitCode.ok;
  });
}
