import { type ParseArgsConfig, parseArgs } from "node:util";
import { defaultDaemonStateDir } from "../daemon/create-agent-registry.js";
import { runDaemon } from "../daemon/run-daemon.js";
import { packageInfo } from "../../server/package-info.js";
import { startTracing } from "../../server/telemetry/start-tracing.js";
import type { CliIo } from "./cli-output.js";
import { createCommandLogger } from "./create-command-logger.js";
import { createDaemonReporter } from "./create-daemon-reporter.js";
import { daemonSettings } from "./daemon-settings.js";
import { runDaemonStatus } from "./daemon-status-command.js";
import { loadCommandConfig } from "./load-command-config.js";
import { settingOptions } from "./resolve-settings.js";

const usage = `Usage: wsctl daemon --server URL [--server URL ...] --token MACHINE_TOKEN --workspace-root WORKSPACE_ID=DIR [...]
       wsctl daemon status [--state-dir DIR] [--json]

Runs the daemon of one machine: keeps a command stream to the server open, creates git
worktrees and starts the agents it is asked to, and reports their state. It carries out
each command at most once, even when the server sends it again after a reconnect or a
daemon restart: command ids and their results are kept in the state directory. It logs its own state
(JSON lines on stderr, pretty on a terminal) and writes it to daemon-status.json in its state
directory, which "wsctl daemon status" reads.

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
  --token TOKEN                machine token from "wsctl admin create-token --machine ID" (env WSCTL_TOKEN)
  --workspace-root ID=DIR      directory (a git repository) of a workspace's agents; repeat per workspace
                               (env WSCTL_WORKSPACE_ROOTS as ID=DIR,ID=DIR)
  --claude-bin PATH            claude executable (env WSCTL_CLAUDE_BIN; default claude)
  --codex-bin PATH             codex executable (env WSCTL_CODEX_BIN; default codex)
  --protocol grpc|connect      wire protocol over HTTP/2 (default grpc)
  --startup-window-ms N        how long an agent must survive to count as started (default 1500)
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
  wsctl daemon --server http://127.0.0.1:8080 --token wsm_... --workspace-root acme=$HOME/src/acme
  wsctl daemon --server https://ws1.example.com --server https://ws2.example.com \\
    --token wsm_... --workspace-root acme=$HOME/src/acme
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
  if (!values.token) problems.push("--token (or WSCTL_TOKEN) is required");
  const roots = new Map(Object.entries((values["workspace-root"] as Record<string, string> | undefined) ?? {}));
  if (roots.size === 0) problems.push("at least one --workspace-root WORKSPACE_ID=DIR is required");
  if (problems.length > 0) {
    io.stderr(`wsctl daemon: ${problems.join("; ")}\n`);
    return 2;
  }
  const stateDir = (values["state-dir"] as string | undefined) || defaultDaemonStateDir(io.env);
  const logger = createCommandLogger(values, "daemon", io);
  const version = packageInfo().version;
  const reporter = createDaemonReporter({ logger, stateDir, server: servers.join(","), version, workspaces: [...roots.keys()] });
  const tracing = await startTracing("wsctl-daemon", io.env);
  const window = values["startup-window-ms"] as number | undefined;
  try {
    await runDaemon({
      server: servers,
      token: values.token as string,
      workspaceRoots: roots,
      bins: { claude: values["claude-bin"] as string, codex: values["codex-bin"] as string },
      protocol: values.protocol as "grpc" | "connect",
      version,
      ...(window !== undefined ? { startupWindowMs: window } : {}),
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
