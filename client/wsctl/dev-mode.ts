import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createApiToken } from "../../server/admin/create-api-token.js";
import { createMachineToken } from "../../server/admin/create-machine-token.js";
import { ensureMachine } from "../../server/admin/ensure-machine.js";
import { ensureWorkspace } from "../../server/admin/ensure-workspace.js";
import { isTokenLive } from "../../server/admin/is-token-live.js";
import type { Store } from "../../server/admin/open-admin-store.js";
import type { AgentBins } from "../daemon/agent-argv.js";
import type { Logger } from "../../server/start-server.js";
import { defaultDaemonStateDir } from "../daemon/create-agent-registry.js";
import { runDaemon } from "../daemon/run-daemon.js";
import { createDaemonReporter } from "./create-daemon-reporter.js";
import type { CliIo } from "./cli-output.js";

/** What `--dev` created or found, as written to credentials.json. */
export interface DevCredentials {
  workspace_id: string;
  machine_id: string;
  api_token: string;
  machine_token: string;
}

const workspaceId = "default";
const machineId = "local";

/** credentials.json beside the SQLite file (./data/credentials.json by default). */
export function credentialsPath(database: string): string {
  const dir = database === ":memory:" || /^postgres(ql)?:/.test(database) ? "data" : path.dirname(database);
  return path.join(dir, "credentials.json");
}

async function readCredentials(file: string): Promise<DevCredentials | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as DevCredentials;
  } catch {
    return undefined;
  }
}

/**
 * The first-run experience: on a new database creates workspace `default`,
 * machine `local` (its default) and an API and a machine token, and writes them
 * to credentials.json (mode 0600). On later runs reuses what the file holds,
 * minting a fresh token only where the stored one no longer works.
 */
export async function ensureDevCredentials(store: Store, file: string): Promise<DevCredentials> {
  await ensureWorkspace(store, workspaceId);
  await ensureMachine(store, { machineId, workspaceId, makeDefault: true });
  const saved = await readCredentials(file);
  let apiToken = saved?.api_token;
  if (!(await isTokenLive(store, apiToken))) apiToken = (await createApiToken(store, { workspaceIds: [workspaceId] })).token;
  let machineToken = saved?.machine_token;
  if (!(await isTokenLive(store, machineToken))) machineToken = (await createMachineToken(store, { machineId })).token;
  const credentials: DevCredentials = { workspace_id: workspaceId, machine_id: machineId, api_token: apiToken!, machine_token: machineToken! };
  if (saved?.api_token !== apiToken || saved?.machine_token !== machineToken) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return credentials;
}

/** How the printed curl command names credentials.json: relative when under the current directory. */
function credentialsRef(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? path.resolve(file) : `./${relative}`;
}

/**
 * `serve --dev`: ensures the dev credentials, runs a daemon for machine `local`
 * rooted at the current directory, and prints a curl command to try.
 */
export async function startDevMode(options: {
  store: Store;
  database: string;
  serverUrl: string;
  io: CliIo;
  signal: AbortSignal;
  bins: AgentBins;
  /** The daemon's logger (`component: "daemon"`, the server's level and format). */
  logger: Logger;
}): Promise<{ stopped: Promise<void> }> {
  const { io } = options;
  const file = credentialsPath(options.database);
  const credentials = await ensureDevCredentials(options.store, file);
  // The same structured lines, request ids and `wsctl daemon status` file as a `wsctl daemon`.
  const stateDir = defaultDaemonStateDir(io.env);
  const reporter = createDaemonReporter({
    logger: options.logger,
    stateDir,
    server: options.serverUrl,
    version: "dev",
    workspaces: [workspaceId],
  });
  const stopped = runDaemon({
    server: options.serverUrl,
    token: credentials.machine_token,
    workspaceRoots: new Map([[workspaceId, process.cwd()]]),
    bins: options.bins,
    version: "dev",
    stateDir,
    signal: options.signal,
    log: reporter.log,
    onState: reporter.onState,
    aroundCommand: reporter.aroundCommand,
  })
    .catch((error: unknown) => reporter.log(`daemon: stopped: ${(error as Error).message}`))
    .then(() => reporter.flushed());
  io.stdout(
    [
      `wsctl: dev mode: workspace "${workspaceId}", machine "${machineId}" rooted at ${process.cwd()}`,
      `wsctl: tokens are in ${file}`,
      "wsctl: try:",
      `  curl -sS -X POST ${options.serverUrl}/api/v1/workspaces/${workspaceId}/sessions \\`,
      `    -H "Authorization: Bearer $(node -p 'require("${credentialsRef(file)}").api_token')" \\`,
      `    -H 'Content-Type: application/json' \\`,
      `    -d '{"initial_prompt": "Say hello", "worktree_name": "try-wsctl"}'`,
      "",
    ].join("\n"),
  );
  return { stopped: stopped.then(() => undefined) };
}
