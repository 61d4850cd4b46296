import { runAdmin } from "./admin-command.js";
import { runDaemonCommand } from "./daemon-command.js";
import { runServe } from "./serve-command.js";
import type { CliIo } from "./cli-output.js";
import { processIo } from "./process-io.js";

const usage = `wsctl — launch coding-agent sessions on remote machines

Usage:
  wsctl serve   [--listen HOST:PORT] [--database PATH|URL] [--tls-cert F --tls-key F] [--dev]
  wsctl daemon  --server URL --token MACHINE_TOKEN --workspace-root WORKSPACE_ID=DIR ...
  wsctl admin   create-workspace | create-machine | create-token | revoke-token | list

Run "wsctl <command> --help" for the options of a command.

Examples:
  wsctl serve --dev                         # first run: workspace, machine, tokens and a local daemon
  wsctl admin create-workspace acme --database ./data/wsctl.db
  wsctl daemon --server http://127.0.0.1:8080 --token wsm_... --workspace-root acme=$HOME/src/acme
`;

/** Runs one wsctl command line; resolves with the process exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "serve":
      return runServe(rest, io);
    case "daemon":
      return runDaemonCommand(rest, io);
    case "admin":
      return runAdmin(rest, io);
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
