import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { SendSessionMessageResponseSchema } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { apiJsonOptions, type CliIo, exitCode, printJson } from "./cli-output.js";
import { clientFromOptions, clientOptions, clientOptionsHelp, requireWorkspace, runClientVerb } from "./client-options.js";
import { UsageError } from "./usage-error.js";

const usage = `Usage: wsctl send --workspace W SESSION_ID TEXT...

Sends a follow-up message to a session's running agent. Exits 0 once the
agent's machine has accepted it (the message is in the session's transcript);
1 when the session is not running or its machine is offline. The words of TEXT
are joined with spaces; "-" reads the message from standard input.

Options:
  --workspace W           workspace of the session (required)
  --idempotency-key KEY   a retry with the same key sends nothing again

${clientOptionsHelp}

Examples:
  wsctl send --workspace acme 5f0c2a9e-1b7d-4c1e-9a51-0c7e5d1f2b3a "now run the tests"
  git diff | wsctl send --workspace acme 5f0c2a9e-1b7d-4c1e-9a51-0c7e5d1f2b3a -
`;

const options = {
  ...clientOptions,
  workspace: { type: "string" },
  "idempotency-key": { type: "string" },
} as const;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** `wsctl send`: a follow-up message to a running session. */
export async function runSend(args: string[], io: CliIo): Promise<number> {
  return runClientVerb("send", io, async (progress) => {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(usage);
      return exitCode.ok;
    }
    const [sessionId, ...words] = positionals;
    if (!sessionId) throw new UsageError("SESSION_ID is required");
    if (words.length === 0) throw new UsageError("TEXT is required");
    const text = words.length === 1 && words[0] === "-" ? await readStdin() : words.join(" ");
    const connection = clientFromOptions(values, io);
    const { client } = connection;
    const workspaceId = requireWorkspace(connection.workspaceId);
    const key = values["idempotency-key"];
    progress.update(`sending to session ${sessionId}…`);
    const res = await client.sessions.sendSessionMessage(
      { workspaceId, sessionId, text },
      { signal: io.signal, ...(key !== undefined ? { headers: { "Idempotency-Key": key } } : {}) },
    );
    progress.clear();
    if (values.json) printJson(io, toJson(SendSessionMessageResponseSchema, res, apiJsonOptions));
    else io.stdout(`sent to session ${sessionId} (transcript entry ${res.entry?.offset ?? 0n})\n`);
    return exitCode.ok;
  });
}
