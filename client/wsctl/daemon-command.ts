import { type ParseArgsConfig, parseArgs } from "node:util";
import { defaultDaemonStateDir } from "../daemon/create-agent-registry.js";
import { runDaemon } from "../daemon/run-daemon.js";
import type { CliIo } from "./cli-output.js";

const usage = `Usage: wsctl daemon --server URL [--server URL ...] --token MACHINE_TOKEN --workspace-root WORKSPACE_ID=DIR [...]

Runs the daemon of one machine: keeps a command stream to the server open, creates git
worktrees and starts the agents it is asked to, and reports their state. It carries out
each command at most once, even when the server sends it again after a reconnect or a
daemon restart: command ids and their results are kept in the state directory.

Options:
  --server URL                 the server, e.g. http://127.0.0.1:8080; repeat it for replicas
                               of one server (env WSCTL_SERVER, comma-separated): the daemon
                               connects to the first and, when its stream fails (connection
                               refused or reset, unavailable), moves to the next in order after
                               the reconnect backoff, wrapping around after the last; its
                               acknowledgements and reports go to the server it is on
  --token TOKEN                machine token from "wsctl admin create-token --machine ID" (env WSCTL_TOKEN)
  --workspace-root ID=DIR      directory (a git repository) of a workspace's agents; repeat per workspace
  --claude-bin PATH            claude executable (env WSCTL_CLAUDE_BIN; default claude)
  --codex-bin PATH             codex executable (env WSCTL_CODEX_BIN; default codex)
  --protocol grpc|connect      wire protocol over HTTP/2 (default grpc)
  --startup-window-ms N        longest wait for an agent to prove it is alive (Claude Code's init
                               event, Codex's first event) before it counts as started (default 1500)
  --transcript-entry-bytes N   largest transcript entry sent to the server; larger ones are cut and
                               marked truncated (default 65536)
  --transcript-session-bytes N most transcript bytes per session; past it later output stays only in
                               the agent's log on the machine (default 8388608)
  --state-dir DIR              where running agents and their output are kept, so a restarted daemon
                               finds them, and the journal of the last 10 000 commands (at most 7
                               days old) (env WSCTL_DAEMON_STATE_DIR; default
                               $XDG_STATE_HOME/wsctl/daemon or ~/.local/state/wsctl/daemon)
  --stop-agents                stop the agents (SIGTERM, then SIGKILL) when the daemon stops; by default
                               they keep running (what systemctl restart needs) and the next daemon adopts them
  --keep-agents                the default; accepted for older scripts

Examples:
  wsctl daemon --server http://127.0.0.1:8080 --token wsm_... --workspace-root acme=$HOME/src/acme
  wsctl daemon --server https://ws1.example.com --server https://ws2.example.com \\
    --token wsm_... --workspace-root acme=$HOME/src/acme
`;

const options = {
  server: { type: "string", multiple: true, default: [] as string[] },
  token: { type: "string" },
  "workspace-root": { type: "string", multiple: true, default: [] as string[] },
  "claude-bin": { type: "string" },
  "codex-bin": { type: "string" },
  protocol: { type: "string", default: "grpc" },
  "startup-window-ms": { type: "string" },
  "transcript-entry-bytes": { type: "string" },
  "transcript-session-bytes": { type: "string" },
  "state-dir": { type: "string" },
  "keep-agents": { type: "boolean", default: false },
  "stop-agents": { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  } satisfies ParseArgsConfig["options"];

function parseOptions(args: string[]) {
  return parseArgs({ args, options, strict: true }).values;
}

/**
 * The servers of `wsctl daemon`, in order: every `--server` flag, else
 * WSCTL_SERVER split at commas; blanks are dropped.
 */
export function daemonServers(flags: readonly string[], env: string | undefined): string[] {
  const given = flags.length > 0 ? flags : (env ?? "").split(",");
  return given.map((server) => server.trim()).filter((server) => server !== "");
}

/** `wsctl daemon`: runs until SIGINT or SIGTERM. */
export async function runDaemonCommand(args: string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parseOptions>;
  try {
    values = parseOptions(args);
  } catch (error) {
    io.stderr(`wsctl daemon: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  const servers = daemonServers(values.server, io.env.WSCTL_SERVER);
  const token = values.token ?? io.env.WSCTL_TOKEN;
  const problems: string[] = [];
  if (servers.length === 0) problems.push("--server (or WSCTL_SERVER) is required");
  if (!token) problems.push("--token (or WSCTL_TOKEN) is required");
  const roots = new Map<string, string>();
  for (const spec of values["workspace-root"]) {
    const eq = spec.indexOf("=");
    if (eq <= 0 || eq === spec.length - 1) problems.push(`--workspace-root must be WORKSPACE_ID=DIR, got "${spec}"`);
    else roots.set(spec.slice(0, eq), spec.slice(eq + 1));
  }
  if (roots.size === 0) problems.push("at least one --workspace-root WORKSPACE_ID=DIR is required");
  if (values.protocol !== "grpc" && values.protocol !== "connect") problems.push("--protocol must be grpc or connect");
  const window = values["startup-window-ms"] !== undefined ? Number(values["startup-window-ms"]) : undefined;
  if (window !== undefined && !(Number.isInteger(window) && window >= 0)) problems.push("--startup-window-ms must be a whole number");
  const limits: { maxEntryBytes?: number; maxSessionBytes?: number } = {};
  for (const [flag, key] of [
    ["transcript-entry-bytes", "maxEntryBytes"],
    ["transcript-session-bytes", "maxSessionBytes"],
  ] as const) {
    const given = values[flag];
    if (given === undefined) continue;
    const n = Number(given);
    if (!Number.isInteger(n) || n < 1024) problems.push(`--${flag} must be a whole number of at least 1024`);
    else limits[key] = n;
  }
  if (problems.length > 0) {
    io.stderr(`wsctl daemon: ${problems.join("; ")}\n`);
    return 2;
  }
  try {
    await runDaemon({
      server: servers,
      token: token!,
      workspaceRoots: roots,
      bins: {
        claude: values["claude-bin"] ?? io.env.WSCTL_CLAUDE_BIN ?? "claude",
        codex: values["codex-bin"] ?? io.env.WSCTL_CODEX_BIN ?? "codex",
      },
      protocol: values.protocol as "grpc" | "connect",
      version: "0.1.0",
      ...(window !== undefined ? { startupWindowMs: window } : {}),
      transcriptLimits: limits,
      stateDir: values["state-dir"] || defaultDaemonStateDir(io.env),
      keepAgentsOnExit: !values["stop-agents"],
      signal: io.signal ?? new AbortController().signal,
      log: (line) => io.stderr(`${line}\n`),
    });
  } catch (error) {
    io.stderr(`wsctl ${(error as Error).message}\n`);
    return 1;
  }
  return 0;
}
