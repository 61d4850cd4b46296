import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
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
import type { DevCredentials } from "./dev-credentials.js";

export type { DevCredentials } from "./dev-credentials.js";

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
 * The directory the dev daemon is rooted at: `--root` (relative to where the
 * command was started), else that directory itself. Under `npm start`, npm
 * runs the command in the package's directory and says where it was started
 * in INIT_CWD; anywhere else that is the current directory. Throws when it is
 * not a directory.
 */
export async function devRoot(root: string | undefined, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): Promise<string> {
  const startedIn = env.npm_lifecycle_event === "start" && env.INIT_CWD ? env.INIT_CWD : cwd;
  const dir = path.resolve(startedIn, root ?? ".");
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`--root ${root ?? dir}: ${info ? "not a directory" : "no such directory"} (${dir})`);
  return dir;
}

/**
 * The first-run experience: on a new database creates workspace `default`,
 * machine `local` (its default) and an API and a machine token, and writes them
 * to credentials.json (mode 0600) with the server's address, for the client
 * verbs' defaults. On later runs reuses what the file holds, minting a fresh
 * token only where the stored one no longer works, and rewrites the file only
 * when something in it changed.
 */
export async function ensureDevCredentials(store: Store, file: string, serverUrl?: string): Promise<DevCredentials> {
  await ensureWorkspace(store, workspaceId);
  await ensureMachine(store, { machineId, workspaceId, makeDefault: true });
  const saved = await readCredentials(file);
  let apiToken = saved?.api_token;
  if (!(await isTokenLive(store, apiToken))) apiToken = (await createApiToken(store, { workspaceIds: [workspaceId] })).token;
  let machineToken = saved?.machine_token;
  if (!(await isTokenLive(store, machineToken))) machineToken = (await createMachineToken(store, { machineId })).token;
  const credentials: DevCredentials = {
    workspace_id: workspaceId,
    machine_id: machineId,
    api_token: apiToken!,
    machine_token: machineToken!,
    ...(serverUrl !== undefined ? { server_url: serverUrl } : saved?.server_url !== undefined ? { server_url: saved.server_url } : {}),
  };
  if (saved?.api_token !== apiToken || saved?.machine_token !== machineToken || saved?.server_url !== credentials.server_url) {
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

/** The directory client verbs run in to find `<dir>/data/credentials.json` as `data/credentials.json`. */
function credentialsDir(file: string): string {
  return path.dirname(path.dirname(path.resolve(file)));
}

/**
 * `serve --dev`: ensures the dev credentials, runs a daemon for machine `local`
 * rooted at `root` (see `devRoot`), and prints a curl command and a wsctl
 * command to try.
 */
export async function startDevMode(options: {
  store: Store;
  database: string;
  serverUrl: string;
  /** The directory of workspace `default` on machine `local`. */
  root: string;
  io: CliIo;
  signal: AbortSignal;
  bins: AgentBins;
  /** The daemon's logger (`component: "daemon"`, the server's level and format). */
  logger: Logger;
}): Promise<{ stopped: Promise<void> }> {
  const { io } = options;
  const file = credentialsPath(options.database);
  const credentials = await ensureDevCredentials(options.store, file, options.serverUrl);
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
    workspaceRoots: new Map([[workspaceId, options.root]]),
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
      `wsctl: dev mode: workspace "${workspaceId}", machine "${machineId}" rooted at ${options.root}`,
      `wsctl: tokens are in ${file}`,
      "wsctl: try:",
      `  curl -sS -X POST ${options.serverUrl}/api/v1/workspaces/${workspaceId}/sessions \\`,
      `    -H "Authorization: Bearer $(node -p 'require("${credentialsRef(file)}").api_token')" \\`,
      `    -H 'Content-Type: application/json' \\`,
      `    -d '{"initial_prompt": "Say hello", "worktree_name": "try-wsctl"}'`,
      ...(path.basename(path.dirname(path.resolve(file))) === "data"
        ? [`wsctl: or, from ${credentialsDir(file)}: npx wsctl launch --prompt "Say hello" --worktree try-wsctl --follow`]
        : []),
      "",
    ].join("\n"),
  );
  return { stopped: stopped.then(() => undefined) };
}
