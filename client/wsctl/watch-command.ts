import { parseArgs } from "node:util";
import { type CliIo, exitCode } from "./cli-output.js";
import { clientFromOptions, clientOptions, clientOptionsHelp, requireWorkspace, runClientVerb } from "./client-options.js";
import { followEvents } from "./follow-events.js";
import { UsageError } from "./usage-error.js";

const usage = `Usage: wsctl watch --workspace W SESSION_ID [--after N]

Prints a session's events: its history first, then live changes until the
session ends. State changes are one line each (#N type ...); the agent's
transcript comes between them as it is written: text as text, each tool call
and tool result on one line, messages sent to it after "> ". With --json, one
event per line (NDJSON), transcript entries included. Exits 0 only when the
agent exited with code 0.

Options:
  --workspace W           workspace of the session (required)
  --after N               skip events up to sequence N (resume after the last one seen)

${clientOptionsHelp}

Examples:
  wsctl watch --workspace acme 5f0c2a9e-1b7d-4c1e-9a51-0c7e5d1f2b3a
  wsctl watch --workspace acme 5f0c2a9e-1b7d-4c1e-9a51-0c7e5d1f2b3a --after 3 --json
`;

const options = {
  ...clientOptions,
  workspace: { type: "string" },
  after: { type: "string" },
} as const;

/** `wsctl watch`: follows a session's events until it ends. */
export async function runWatch(args: string[], io: CliIo): Promise<number> {
  return runClientVerb("watch", io, async (progress) => {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(usage);
      return exitCode.ok;
    }
    const [sessionId, extra] = positionals;
    if (!sessionId) throw new UsageError("SESSION_ID is required");
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
    let afterSequence = 0n;
    if (values.after !== undefined) {
      if (!/^\d{1,19}$/.test(values.after)) throw new UsageError(`--after must be a whole number, not ${JSON.stringify(values.after)}`);
      afterSequence = BigInt(values.after);
    }
    const connection = clientFromOptions(values, io);
    const { client } = connection;
    const workspaceId = requireWorkspace(connection.workspaceId);
    progress.update(`watching session ${sessionId}…`);
    const events = client.sessions.watchWorkspaceSession({ workspaceId, sessionId, afterSequence }, { signal: io.signal });
    return followEvents(events, io, { verb: "watch", json: values.json, progress });
  });
}
