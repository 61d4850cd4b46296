import { type ParseArgsConfig, parseArgs } from "node:util";
import { defaultDaemonStateDir } from "../daemon/create-agent-registry.js";
import { resolveMachineToken } from "../daemon/resolve-machine-token.js";
import { runDaemon } from "../daemon/run-daemon.js";
import { startTracing } from "../../server/start-server.js";
import { packageInfo } from "../package-info.js";
import type { CliIo } from "./cli-output.js";
import { createCommandLogger } from "./create-command-logger.js";
import { createDaemonReporter } from "./create-daemon-reporter.js";
import { daemonSettings } from "./daemon-settings.js";
import { runDaemonStatus } from "./daemon-status-command.js";
import { loadCommandConfig } from "./load-command-config.js";
import { runPruneWorktrees } from "./prune-worktrees-command.js";
import { settingOptions } from "./resolve-settings.js";

const usage = `Usage: wsctl daemon --server URL [--server URL ...] [--token-file FILE] --workspace-root WORKSPACE_ID=DIR [...]
       wsctl daemon status [--state-dir DIR] [--json]
       wsctl daemon register --server URL --workspace ID --name NAME [--state-dir DIR]

Runs the daemon of one machine: keeps a command stream to the server open, creates git
worktrees and starts the agents it is asked to, and reports their state. It carries out
each command at most once, even when the server sends it again after a reconnect or a
daemon restart: command ids and their results are kept in the state directory.

\`wsctl daemon register\` registers the machine and writes its token to STATE_DIR/machine-token
(see \`wsctl daemon register --help\`); the daemon then needs no token option.
\`wsctl daemon prune-worktrees --workspace-root ID=DIR ...\` removes the worktrees of finished agents
(see \`wsctl daemon prune-worktrees --help\`). \`wsctl daemon permission-server --dir DIR\` is the MCP
server an agent starts to relay its permission requests (see its --help); people do not run it. It logs its own state (JSON lines on stderr, pretty on
a terminal) and writes it to daemon-status.json in its state directory, which "wsctl daemon status" reads.

Options (each also a key of the config file's "daemon" section, and an environment variable):
  --config FILE                settings from a JSON or YAML file (env WSCTL_CONFIG); flags win over
                               the environment, the environment over the file, the file over defaults
  --print-config               print the effective settings (the token masked) and exit
  --server URL                 the server, e.g. http://127.0.0.1:8080; repeat it for replicas
                               of one server (env WSCTL_SERVER, comma-separated): the daemon
                               connects to the first and, when its stream fails (connection
                               refused or reset, unavailable), moves to the next in order after
                               the reconnect backoff, wrapping around after the last; its
                               acknowledgements and reports go to the server it is on
  --token-file FILE            file holding the machine token from "wsctl admin create-token --machine ID",
                               mode 0600 (env WSCTL_TOKEN_FILE). The token is taken from, in order:
                               --token-file, --token, WSCTL_TOKEN (unless it holds an API token,
                               wsa_...), then STATE_DIR/machine-token (written by "wsctl daemon register")
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
  --log-level LEVEL            trace, debug, info, warn, error, fatal or silent (default info)
  --log-format FORMAT          json, pretty or auto (default auto: pretty on a terminal)

Traces are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set; a launch's spans
join the trace of the call that asked for it.

Examples:
  WSCTL_TOKEN=wsa_... wsctl daemon register --server http://127.0.0.1:8080 --workspace acme --name laptop
  wsctl daemon --server http://127.0.0.1:8080 --workspace-root acme=$HOME/src/acme
  install -m 600 /dev/null ~/.wsctl-token && echo wsm_... > ~/.wsctl-token
  wsctl daemon --server http://127.0.0.1:8080 --token-file ~/.wsctl-token --workspace-root acme=$HOME/src/acme
  WSCTL_TOKEN=wsm_... wsctl daemon --server https://ws1.example.com --server https://ws2.example.com \\
    --workspace-root acme=$HOME/src/acme
`;

const options = {
  ...settingOptions(daemonSettings),
  config: { type: "string" },
  "print-config": { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} satisfies ParseArgsConfig["options"];

/**
 * The servers of `wsctl daemon`, in order: every `--server` flag, else
 * WSCTL_SERVER split at commas; blanks are dropped.
 */
export function daemonServers(flags: readonly string[], env: string | undefined): string[] {
  const given = flags.length > 0 ? flags : (env ?? "").split(",");
  return given.map((server) => server.trim()).filter((server) => server !== "");
}

/** `wsctl daemon`: runs until SIGINT or SIGTERM; `wsctl daemon status` reports on a running one. */
export async function runDaemonCommand(args: string[], io: CliIo): Promise<number> {
  if (args[0] === "status") return runDaemonStatus(args.slice(1), io);
  if (args[0] === "prune-worktrees") return runPruneWorktrees(args.slice(1), io);
  if (args[0] === "register") return (await import("./daemon-register-command.js")).runDaemonRegister(args.slice(1), io);
  let flags: Record<string, unknown>;
  try {
    flags = parseArgs({ args, options, strict: true }).values;
  } catch (error) {
    io.stderr(`wsctl daemon: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (flags.help) {
    io.stdout(usage);
    return 0;
  }
  let values: Record<string, unknown>;
  try {
    const resolved = await loadCommandConfig("daemon", daemonSettings, flags, io);
    if (!resolved) return 0;
    values = resolved.values;
  } catch (error) {
    io.stderr(`wsctl daemon: ${(error as Error).message}\n`);
    return 2;
  }
  const problems: string[] = [];
  const servers = values.server as string[];
  if (servers.length === 0) problems.push("--server (or WSCTL_SERVER) is required");
  const roots = new Map(Object.entries((values["workspace-root"] as Record<string, string> | undefined) ?? {}));
  if (roots.size === 0) problems.push("at least one --workspace-root WORKSPACE_ID=DIR is required");
  if (problems.length > 0) {
    io.stderr(`wsctl daemon: ${problems.join("; ")}\n`);
    return 2;
  }
  const stateDir = (values["state-dir"] as string | undefined) || defaultDaemonStateDir(io.env);
  let token: string;
  try {
    const resolved = await resolveMachineToken({
      file: values["token-file"] as string | undefined,
      flag: flags.token as string | undefined,
      env: io.env.WSCTL_TOKEN,
      stateDir,
    });
    for (const warning of resolved.warnings) io.stderr(`wsctl daemon: warning: ${warning}\n`);
    token = resolved.token;
  } catch (error) {
    io.stderr(`wsctl daemon: ${(error as Error).message}\n`);
    return 2;
  }
  const transcriptLimits = {
    ...(values["transcript-entry-bytes"] !== undefined ? { maxEntryBytes: values["transcript-entry-bytes"] as number } : {}),
    ...(values["transcript-session-bytes"] !== undefined ? { maxSessionBytes: values["transcript-session-bytes"] as number } : {}),
  };
  const logger = createCommandLogger(values, "daemon", io);
  const version = packageInfo().version;
  const reporter = createDaemonReporter({ logger, stateDir, server: servers.join(","), version, workspaces: [...roots.keys()] });
  const tracing = await startTracing("wsctl-daemon", io.env);
  const window = values["startup-window-ms"] as number | undefined;
  try {
    await runDaemon({
      server: servers,
      token,
      agentEnvAllow: values["agent-env-allow"] as string[],
      workspaceRoots: roots,
      bins: { claude: values["claude-bin"] as string, codex: values["codex-bin"] as string },
      protocol: values.protocol as "grpc" | "connect",
      version,
      ...(window !== undefined ? { startupWindowMs: window } : {}),
      transcriptLimits,
      stateDir,
      keepAgentsOnExit: !values["stop-agents"],
      signal: io.signal ?? new AbortController().signal,
      log: reporter.log,
      onState: reporter.onState,
      aroundCommand: reporter.aroundCommand,
    });
  } catch (error) {
    io.stderr(`wsctl ${(error as Error).message}\n`);
    return 1;
  } finally {
    await reporter.flushed();
    await tracing?.shutdown();
  }
  return 0;
}
