import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type PermissionRequest, PermissionRequestSchema } from "../../gen/workspaces/v1/permission_pb.js";
import { apiJsonOptions, type CliIo, exitCode, printJson } from "./cli-output.js";
import { clientFromOptions, clientOptions, clientOptionsHelp, requireWorkspace, runClientVerb } from "./client-options.js";
import { formatDecision } from "./format-permission-request.js";
import { UsageError } from "./usage-error.js";

/** Longest `--message`, as the server takes it (4 KiB). */
const maxMessageBytes = 4096;

const usage = (verb: "approve" | "deny") => `Usage: wsctl ${verb} --workspace W SESSION_ID REQUEST_ID [--message M]${verb === "approve" ? " [--remember]" : ""}

${
  verb === "approve"
    ? `Allows a pending permission request of a session's agent: the tool runs.
With --remember, the session allows the same tool (for Bash, a command with the
same first word) from then on without asking.`
    : `Denies a pending permission request of a session's agent: the tool does not
run, and the agent reads --message (say what to do instead).`
}
The first answer wins: a request already decided (by someone else, by a
remembered rule or by the approval timeout) is not changed; the command then
says who decided what and exits 1. "wsctl approvals" lists the pending ones.

Options:
  --workspace W           workspace of the session (required)
  --message M             a message to the agent (at most 4 KiB)${verb === "approve" ? "\n  --remember              allow this tool for the rest of the session" : ""}

${clientOptionsHelp}

Examples:
  wsctl ${verb} --workspace acme 5f0c2a9e-1b7d-4c1e-9a51-0c7e5d1f2b3a prq_01HZX3${verb === "approve" ? " --remember" : ' --message "run the unit tests only"'}
`;

const options = {
  ...clientOptions,
  workspace: { type: "string" },
  message: { type: "string" },
  remember: { type: "boolean", default: false },
} as const;

/** The first decision a `failed_precondition` answer carries in its details, if it does. */
function firstDecision(error: ConnectError): PermissionRequest | undefined {
  return error.findDetails(PermissionRequestSchema).find((r) => r.decision !== "");
}

/** `wsctl approve` and `wsctl deny`: one answer to a pending permission request. */
export async function runAnswer(verb: "approve" | "deny", args: string[], io: CliIo): Promise<number> {
  return runClientVerb(verb, io, async (progress) => {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(usage(verb));
      return exitCode.ok;
    }
    const [sessionId, requestId, extra] = positionals;
    if (!sessionId || !requestId) throw new UsageError("give SESSION_ID and REQUEST_ID (\"wsctl approvals\" lists them)");
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
    if (values.message !== undefined && Buffer.byteLength(values.message) > maxMessageBytes) {
      throw new UsageError(`--message is at most ${maxMessageBytes} bytes`);
    }
    if (verb === "deny" && values.remember) throw new UsageError("--remember is for approve: a denial is never remembered");
    const connection = clientFromOptions(values, io);
    const { client } = connection;
    const workspaceId = requireWorkspace(connection.workspaceId);
    progress.update(`${verb === "approve" ? "approving" : "denying"} request ${requestId}…`);
    try {
      const res = await client.permissions.answerPermissionRequest(
        {
          workspaceId,
          sessionId,
          requestId,
          decision: verb === "approve" ? "allow" : "deny",
          ...(values.message !== undefined ? { message: values.message } : {}),
          remember: values.remember,
        },
        { signal: io.signal },
      );
      progress.clear();
      if (values.json) printJson(io, { request: res.request ? toJson(PermissionRequestSchema, res.request, apiJsonOptions) : null });
      else io.stdout(`request ${requestId}: ${res.request ? formatDecision(res.request) : "answered"}\n`);
      return exitCode.ok;
    } catch (error) {
      const e = ConnectError.from(error);
      if (e.code !== Code.FailedPrecondition) throw error;
      // Someone (or the timeout, or a remembered rule) answered first: say so plainly.
      progress.clear();
      const first = firstDecision(e);
      io.stderr(
        `wsctl ${verb}: request ${requestId} was already answered, this answer was not applied: ${e.rawMessage}\n` +
          (first ? `  first answer: ${formatDecision(first)}\n` : ""),
      );
      return exitCode.failure;
    }
  });
}

/** `wsctl approve`. */
export const runApprove = (args: string[], io: CliIo): Promise<number> => runAnswer("approve", args, io);

/** `wsctl deny`. */
export const runDeny = (args: string[], io: CliIo): Promise<number> => runAnswer("deny", args, io);
