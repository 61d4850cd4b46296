import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import {
  StopResult,
  type StopWorkspaceSessionResponse,
  StopWorkspaceSessionResponseSchema,
} from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { defaultUnaryTimeoutMs } from "../create-workspace-client.js";
import { apiJsonOptions, type CliIo, exitCode, printJson } from "./cli-output.js";
import { clientFromOptions, clientOptions, clientOptionsHelp, parseWholeNumber, requireWorkspace, runClientVerb } from "./client-options.js";
import { UsageError } from "./usage-error.js";
import { sessionStopStatus } from "./format-session.js";

const usage = `Usage: wsctl stop --workspace W SESSION_ID [--grace SECONDS]

Stops a session's agent: SIGTERM, then SIGKILL after the grace period. The
session ends "stopped", recording this token as who stopped it. Exits 0 when
the agent stopped or had already ended, 1 when its machine is offline.

Options:
  --workspace W           workspace of the session (required)
  --grace SECONDS         time between SIGTERM and SIGKILL, 1-300 (default 10)

${clientOptionsHelp}

Examples:
  wsctl stop --workspace acme 5f0c2a9e-1b7d-4c1e-9a51-0c7e5d1f2b3a
  wsctl stop --workspace acme 5f0c2a9e-1b7d-4c1e-9a51-0c7e5d1f2b3a --grace 30 --json
`;

const options = {
  ...clientOptions,
  workspace: { type: "string" },
  grace: { type: "string" },
} as const;

/** Server's grace when none is given. */
const defaultGraceSeconds = 10;

/** One line saying what a stop did. */
export function formatStopResult(sessionId: string, res: StopWorkspaceSessionResponse): string {
  const status = res.session ? sessionStopStatus(res.session) : "unknown";
  switch (res.result) {
    case StopResult.STOPPED:
      return `stopped session ${sessionId}: ${status}`;
    case StopResult.ALREADY_EXITED:
      return `session ${sessionId} had already ended: ${status}`;
    case StopResult.MACHINE_OFFLINE:
      return `session ${sessionId} not stopped: machine ${res.session?.machineId ?? "?"} is offline`;
    default:
      return `session ${sessionId}: ${status}`;
  }
}

/** `wsctl stop`: stops a running session. */
export async function runStop(args: string[], io: CliIo): Promise<number> {
  return runClientVerb("stop", io, async (progress) => {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(usage);
      return exitCode.ok;
    }
    const [sessionId, extra] = positionals;
    if (!sessionId) throw new UsageError("SESSION_ID is required");
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
    const graceSeconds = values.grace !== undefined ? parseWholeNumber("--grace", values.grace, 1, 300) : 0;
    const connection = clientFromOptions(values, io);
    const { client } = connection;
    const workspaceId = requireWorkspace(connection.workspaceId);
    progress.update(`stopping session ${sessionId}…`);
    // The server answers once the agent is gone, which may take the whole grace period.
    const timeoutMs = (graceSeconds || defaultGraceSeconds) * 1000 + defaultUnaryTimeoutMs;
    const res = await client.sessions.stopWorkspaceSession(
      { workspaceId, sessionId, graceSeconds },
      { signal: io.signal, timeoutMs },
    );
    progress.clear();
    if (values.json) printJson(io, toJson(StopWorkspaceSessionResponseSchema, res, apiJsonOptions));
    else io.stdout(`${formatStopResult(sessionId, res)}\n`);
    return res.result === StopResult.MACHINE_OFFLINE ? exitCode.failure : exitCode.ok;
  });
}
