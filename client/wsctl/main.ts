import type { CliIo } from "./cli-output.js";
import { processIo } from "./process-io.js";
import { packageInfo } from "../package-info.js";

// Each verb's module is loaded when it runs, so `wsctl --version` and
// `wsctl launch` do not pay for the server's code, nor `serve` for the client's.
const commands: Record<string, () => Promise<(args: string[], io: CliIo) => Promise<number>>> = {
  serve: async () => (await import("./serve-command.js")).runServe,
  daemon: async () => (await import("./daemon-command.js")).runDaemonCommand,
  admin: async () => (await import("./admin-command.js")).runAdmin,
  launch: async () => (await import("./launch-command.js")).runLaunch,
  watch: async () => (await import("./watch-command.js")).runWatch,
  sessions: async () => (await import("./sessions-command.js")).runSessions,
  machines: async () => (await import("./machines-command.js")).runMachines,
  stop: async () => (await import("./stop-command.js")).runStop,
  send: async () => (await import("./send-command.js")).runSend,
  tokens: async () => (await import("./tokens-command.js")).runTokens,
  approvals: async () => (await import("./approvals-command.js")).runApprovals,
  approve: async () => (await import("./answer-command.js")).runApprove,
  deny: async () => (await import("./answer-command.js")).runDeny,
  webhooks: async () => (await import("./webhooks-command.js")).runWebhooks,
};

const usage = `wsctl — launch coding-agent sessions on remote machines

Usage:
  wsctl serve   [--listen HOST:PORT] [--database PATH|URL] [--tls-cert F --tls-key F] [--dev [--root DIR]]
  wsctl daemon  --server URL --token-file FILE --workspace-root WORKSPACE_ID=DIR ...
  wsctl daemon  register --server URL --workspace WORKSPACE_ID --name NAME [--state-dir DIR]
  wsctl daemon  prune-worktrees --workspace-root WORKSPACE_ID=DIR ... [--dry-run] [--force]
  wsctl admin   create-workspace | create-machine | create-token | revoke-token | list
  wsctl launch  --workspace W [--machine M] [--prompt TEXT] [--worktree NAME] [--provider P] [--model M] [--follow]
  wsctl watch   --workspace W SESSION_ID [--after N]
  wsctl sessions --workspace W [--state S] [--machine M] [--limit N] [--all]
  wsctl machines [--workspace W]
  wsctl stop    --workspace W SESSION_ID [--grace SECONDS]
  wsctl send    --workspace W SESSION_ID TEXT...
  wsctl tokens  create | list | revoke --workspace W   (a token with the admin scope)
  wsctl approvals --workspace W [--session ID]          (the agents' pending permission requests)
  wsctl approve --workspace W SESSION_ID REQUEST_ID [--message M] [--remember]
  wsctl deny    --workspace W SESSION_ID REQUEST_ID [--message M]
  wsctl webhooks create | list | delete | deliveries --workspace W   (a token with the admin scope)

Client commands take --server URL and --token TOKEN (or WSCTL_SERVER, WSCTL_TOKEN),
--protocol connect|grpc|grpc-web and --json. Without a token they use dev mode: the server,
API token and workspace that "npm start" (wsctl serve --dev) wrote to data/credentials.json
in the current directory, so --workspace may be left out; the server defaults to
http://127.0.0.1:8080.

Run "wsctl <command> --help" for the options of a command. "--version" prints the version,
after any command or subcommand too ("wsctl daemon register --version").

Examples:
  wsctl serve --dev                         # first run: workspace, machine, tokens and a local daemon
  npm start -- --root ~/src/myproject       # the same from a checkout, its daemon rooted at myproject
  wsctl launch --prompt "say hello"         # in dev mode: server, token and workspace from data/credentials.json
  wsctl admin create-workspace acme --database ./data/wsctl.db
  wsctl daemon --server http://127.0.0.1:8080 --token-file ~/.wsctl-token --workspace-root acme=$HOME/src/acme
  export WSCTL_SERVER=http://127.0.0.1:8080 WSCTL_TOKEN=wsa_...
  wsctl launch --workspace acme --prompt "fix the failing tests" --follow
  wsctl sessions --workspace acme --state running
  wsctl send --workspace acme 5f0c2a9e-1b7d-4c1e-9a51-0c7e5d1f2b3a "now add a test"
  wsctl approvals --workspace acme          # then: wsctl approve --workspace acme SESSION_ID prq_...
`;

/** Whether a command's arguments ask for the version: `--version` before any `--` (after it, it is an argument). */
function asksVersion(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).includes("--version");
}

/** Runs one wsctl command line; resolves with the process exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  // `--version` anywhere, as `wsctl --version` and `wsctl serve --version`, before any module loads.
  if (command === "--version" || command === "-V" || (command !== undefined && Object.hasOwn(commands, command) && asksVersion(rest))) {
    io.stdout(`wsctl ${packageInfo().version}\n`);
    return 0;
  }
  // Started by every agent with a permission relay: it loads none of the daemon's (nor the server's) code.
  if (command === "daemon" && rest[0] === "permission-server") {
    return (await import("./permission-server-command.js")).runPermissionServerCommand(rest.slice(1), io);
  }
  const load = command !== undefined && Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (load) return (await load())(rest, io);
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      io.stdout(usage);
      return command === undefined ? 2 : 0;
    default:
      io.stderr(`wsctl: unknown command "${command}"\n${usage}`);
      return 2;
  }
}
