import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { type Session, SessionSchema, SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { apiJsonOptions, type CliIo, exitCode, printJson } from "./cli-output.js";
import { clientFromOptions, clientOptions, clientOptionsHelp, parseWholeNumber, requireWorkspace, runClientVerb } from "./client-options.js";
import { UsageError } from "./usage-error.js";
import { formatSessionTable } from "./format-session.js";
import { watchSessions } from "./watch-sessions.js";

const usage = `Usage: wsctl sessions --workspace W [options]

Lists the workspace's sessions, newest first: one page, or every page with --all.
With --watch, lists the first page, then prints a line per change as sessions
are launched, change state and end, until Ctrl-C (JSON: one object per line).

Options:
  --workspace W           workspace whose sessions are listed (required)
  --state S               only sessions in this state: pending, dispatched, running,
                          awaiting_approval, exited, failed, stopped or unknown
  --machine M             only sessions on this machine
  --limit N               sessions per page, 1-500 (default 50)
  --page-token T          continue after a previous page (its next_page_token)
  --all                   follow the page tokens and list every session
  --watch                 keep listening: one line per change (WatchWorkspaceSessions)

${clientOptionsHelp}

Examples:
  wsctl sessions --workspace acme
  wsctl sessions --workspace acme --state running --machine laptop
  wsctl sessions --workspace acme --all --json | jq -r '.sessions[].session_id'
  wsctl sessions --workspace acme --watch --state running
`;

const options = {
  ...clientOptions,
  workspace: { type: "string" },
  state: { type: "string" },
  machine: { type: "string" },
  limit: { type: "string" },
  "page-token": { type: "string" },
  all: { type: "boolean", default: false },
  watch: { type: "boolean", default: false },
} as const;

const stateNames = ["pending", "dispatched", "running", "awaiting_approval", "exited", "failed", "stopped", "unknown"];

/** `running`, `RUNNING` or `SESSION_STATE_RUNNING` as a SessionState. Throws UsageError. */
export function parseSessionState(text: string): SessionState {
  const name = text.toLowerCase().replace(/^session_state_/, "");
  if (!stateNames.includes(name)) {
    throw new UsageError(`--state must be one of ${stateNames.join(", ")}, not ${JSON.stringify(text)}`);
  }
  return SessionState[name.toUpperCase() as keyof typeof SessionState];
}

/** `wsctl sessions`: lists a workspace's sessions. */
export async function runSessions(args: string[], io: CliIo): Promise<number> {
  return runClientVerb("sessions", io, async (progress) => {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(usage);
      return exitCode.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const state = values.state !== undefined ? parseSessionState(values.state) : SessionState.UNSPECIFIED;
    const pageSize = values.limit !== undefined ? parseWholeNumber("--limit", values.limit, 1, 500) : 0;
    const connection = clientFromOptions(values, io);
    const { client } = connection;
    const workspaceId = requireWorkspace(connection.workspaceId);
    if (values.watch) {
      if (values.all || values["page-token"] !== undefined) throw new UsageError("--watch follows the first page: drop --all and --page-token");
      const query = { workspaceId, state, machineId: values.machine ?? "", pageSize };
      return watchSessions(client, query, io, { json: values.json === true, progress });
    }

    const sessions: Session[] = [];
    let pageToken = values["page-token"] ?? "";
    for (let page = 1; ; page++) {
      progress.update(page === 1 ? "listing sessions…" : `listing sessions, page ${page}…`);
      const res = await client.sessions.listWorkspaceSessions(
        { workspaceId, state, machineId: values.machine ?? "", pageSize, pageToken },
        { signal: io.signal },
      );
      sessions.push(...res.sessions);
      pageToken = res.nextPageToken;
      if (!values.all || pageToken === "") break;
    }
    progress.clear();

    if (values.json) {
      printJson(io, {
        sessions: sessions.map((s) => toJson(SessionSchema, s, apiJsonOptions)),
        next_page_token: pageToken,
      });
      return exitCode.ok;
    }
    if (sessions.length === 0) io.stdout("no sessions\n");
    else io.stdout(`${formatSessionTable(sessions).join("\n")}\n`);
    if (pageToken !== "") io.stderr(`more sessions: add --page-token ${pageToken} or --all\n`);
    return exitCode.ok;
  });
}
