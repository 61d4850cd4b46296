import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { MachineSchema } from "../../gen/workspaces/v1/machine_service_pb.js";
import { defaultDaemonStateDir } from "../daemon/create-agent-registry.js";
import { defaultTokenFile, readTokenFile } from "../daemon/resolve-machine-token.js";
import { writeTokenFile } from "../daemon/write-token-file.js";
import { apiJsonOptions, type CliIo, exitCode, printJson } from "./cli-output.js";
import { clientFromOptions } from "./client-options.js";
import { runClientVerb } from "./client-options.js";
import { readSecretFromTty } from "./read-secret.js";
import { UsageError } from "./usage-error.js";

const usage = `Usage: wsctl daemon register --server URL --workspace ID --name NAME [--state-dir DIR] [--token-file FILE]

Registers this machine with the server (or re-registers it: its older machine tokens are revoked,
so a daemon still using one is disconnected) and writes the new machine token to
STATE_DIR/machine-token (mode 0600), where "wsctl daemon" reads it when it is given no token.
Prints the machine id.

The API token it registers with needs the machines:register (or admin) scope on the workspace
("wsctl admin create-token --workspace ID --scope machines:register"). It is read from
--token-file FILE (mode 0600), else WSCTL_TOKEN, else asked for on the terminal (not echoed).

Options:
  --server URL         the server (env WSCTL_SERVER; the first of a comma-separated list)
  --workspace ID       the workspace the machine belongs to
  --name NAME          the machine's name, which is its id (1-64 letters, digits, '.', '_', '-')
  --default            make a newly created machine its workspace's default
  --state-dir DIR      the daemon's state directory (env WSCTL_DAEMON_STATE_DIR; default
                       $XDG_STATE_HOME/wsctl/daemon or ~/.local/state/wsctl/daemon)
  --token-file FILE    file holding the API token (mode 0600)
  --protocol P         connect (default), grpc or grpc-web
  --json               print {machine, token_id, token_file, reregistered} as JSON (never the token)
  -h, --help           print this help
  --version            print the version of wsctl

Examples:
  WSCTL_TOKEN=wsa_... wsctl daemon register --server https://ws.example.com --workspace acme --name laptop
  wsctl daemon --server https://ws.example.com --workspace-root acme=$HOME/src/acme
`;

const options = {
  server: { type: "string" },
  workspace: { type: "string" },
  name: { type: "string" },
  default: { type: "boolean", default: false },
  "state-dir": { type: "string" },
  "token-file": { type: "string" },
  protocol: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The API token to register with: `--token-file`, else WSCTL_TOKEN, else asked on the terminal. */
async function apiToken(file: string | undefined, io: CliIo): Promise<string> {
  if (file) return readTokenFile(file);
  if (io.env.WSCTL_TOKEN) return io.env.WSCTL_TOKEN;
  const ask = io.readSecret ?? readSecretFromTty;
  const typed = (await ask("API token (machines:register scope): "))?.trim();
  if (typed) return typed;
  throw new UsageError("no API token: pass --token-file FILE, set WSCTL_TOKEN, or run it on a terminal to be asked");
}

/** `wsctl daemon register`: registers the machine and stores its token for `wsctl daemon`. */
export async function runDaemonRegister(args: string[], io: CliIo): Promise<number> {
  return runClientVerb("daemon register", io, async (progress) => {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(usage);
      return exitCode.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (!values.workspace) throw new UsageError("--workspace ID is required");
    if (!values.name) throw new UsageError("--name NAME is required");
    // No dev-mode default here: a machine registers with the server it names.
    const server = values.server ?? io.env.WSCTL_SERVER?.split(",")[0]?.trim();
    if (!server) throw new UsageError("no server: pass --server URL or set WSCTL_SERVER");
    const token = await apiToken(values["token-file"], io);
    const { client } = clientFromOptions({ server, token, protocol: values.protocol }, io);
    const file = defaultTokenFile(values["state-dir"] || defaultDaemonStateDir(io.env));
    progress.update(`registering machine ${values.name}…`);
    const res = await client.machines.registerMachine(
      { workspaceId: values.workspace, name: values.name, ...(values.default ? { makeDefault: true } : {}) },
      { signal: io.signal },
    );
    try {
      await writeTokenFile(file, res.machineToken);
    } catch (error) {
      throw new Error(
        `machine ${res.machine?.machineId} was registered but its token could not be written to ${file} (${(error as Error).message}); run the command again`,
      );
    }
    progress.clear();
    const machineId = res.machine?.machineId ?? values.name;
    if (values.json) {
      printJson(io, {
        machine: res.machine ? toJson(MachineSchema, res.machine, apiJsonOptions) : null,
        token_id: res.tokenId,
        token_file: file,
        reregistered: res.reregistered,
        revoked_token_ids: res.revokedTokenIds,
      });
    } else {
      const how = res.reregistered ? `re-registered (revoked ${res.revokedTokenIds.length} older token(s))` : "registered";
      io.stderr(`machine ${machineId} ${how} in workspace ${values.workspace}; its token is in ${file}\n`);
      io.stdout(`${machineId}\n`);
    }
    return exitCode.ok;
  });
}
