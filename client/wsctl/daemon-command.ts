import { type ParseArgsConfig, parseArgs } from "node:util";
import { defaultDaemonStateDir } from "../daemon/create-agent-registry.js";
import { resolveMachineToken } from "../daemon/resolve-machine-token.js";
import { runDaemon } from "../daemon/run-daemon.js";
import type { CliIo } from "./cli-output.js";
import { parseWorkspaceRoots } from "./parse-workspace-roots.js";
import { runPruneWorktrees } from "./prune-worktrees-command.js";

const usage = `Usage: wsctl daemon --server URL [--server URL ...] [--token-file FILE] --workspace-root WORKSPACE_ID=DIR [...]

Runs the daemon of one machine: keeps a command stream to the server open, creates git
worktrees and starts the agents it is asked to, and reports their state. It carries out
each command at most once, even when the server sends it again after a reconnect or a
daemon restart: command ids and their results are kept in the state directory.

\`wsctl daemon prune-worktrees --workspace-root ID=DIR ...\` removes the worktrees of finished agents
(see \`wsctl daemon prune-worktrees --help\`).

Options:
  --server URL                 the server, e.g. http://127.0.0.1:8080; repeat it for replicas
                               of one server (env WSCTL_SERVER, comma-separated): the daemon
                               connects to the first and, when its stream fails (connection
                               refused or reset, unavailable), moves to the next in order after
                               the reconnect backoff, wrapping around after the last; its
                               acknowledgements and reports go to the server it is on
  --token-file FILE            file holding the machine token from "wsctl admin create-token --machine ID",
                               mode 0600 (env WSCTL_TOKEN_FILE); without it, and without --token or
                               WSCTL_TOKEN, the daemon reads STATE_DIR/machine-token
  --token TOKEN                the machine token itself: works, but every user of the machine can read it
                               in ps, so the daemon warns; prefer --token-file or env WSCTL_TOKEN
  --agent-env-allow NAME       a WSCTL_* variable the agents may see; repeatable (env WSCTL_AGENT_ENV_ALLOW,
                               comma-separated). Every other WSCTL_* variable, the token's among them, is
                               left out of the environment of agents and of git
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
  install -m 600 /dev/null ~/.wsctl-token && echo wsm_... > ~/.wsctl-token
  wsctl daemon --server http://127.0.0.1:8080 --token-file ~/.wsctl-token --workspace-root acme=$HOME/src/acme
  WSCTL_TOKEN=wsm_... wsctl daemon --server https://ws1.example.com --server https://ws2.example.com \\
    --workspace-root acme=$HOME/src/acme
`;

const options = {
  server: { type: "string", multiple: true, default: [] as string[] },
  token: { type: "string" },
  "token-file": { type: "string" },
  "agent-env-allow": { type: "string", multiple: true, default: [] as string[] },
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

/** `wsctl daemon`: runs until SIGINT or SIGTERM; `wsctl daemon prune-worktrees` removes finished worktrees. */
export async function runDaemonCommand(args: string[], io: CliIo): Promise<number> {
  if (args[0] === "prune-worktrees") return runPruneWorktrees(args.slice(1), io);
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
  const problems: string[] = [];
  if (servers.length === 0) problems.push("--server (or WSCTL_SERVER) is required");
  const { roots, problems: rootProblems } = parseWorkspaceRoots(values["workspace-root"]);
  problems.push(...rootProblems);
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
  const stateDir = values["state-dir"] || defaultDaemonStateDir(io.env);
  let token: string;
  try {
    const resolved = await resolveMachineToken({
      file: values["token-file"] ?? io.env.WSCTL_TOKEN_FILE,
      flag: values.token,
      env: io.env.WSCTL_TOKEN,
      stateDir,
    });
    for (const warning of resolved.warnings) io.stderr(`wsctl daemon: warning: ${warning}\n`);
    token = resolved.token;
  } catch (error) {
    io.stderr(`wsctl daemon: ${(error as Error).message}\n`);
    return 2;
  }
  const envAllow = (io.env.WSCTL_AGENT_ENV_ALLOW ?? "").split(",").map((name) => name.trim()).filter((name) => name !== "");
  try {
    await runDaemon({
      server: servers,
      token,
      agentEnvAllow: [...values["agent-env-allow"], ...envAllow],
      workspaceRoots: roots,
      bins: {
        claude: values["claude-bin"] ?? io.env.WSCTL_CLAUDE_BIN ?? "claude",
        codex: values["codex-bin"] ?? io.env.WSCTL_CODEX_BIN ?? "codex",
      },
      protocol: values.protocol as "grpc" | "connect",
      version: "0.1.0",
      ...(window !== undefined ? { startupWindowMs: window } : {}),
      transcriptLimits: limits,
      stateDir,
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
