import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { runAdmin } from "../../../client/wsctl/admin-command.js";
import { createGitRepo } from "./create-git-repo.js";
import { seedWorkspace } from "./seed-workspace.js";
import { pollUntil } from "../../support/poll-until.js";
import { createTestSchema } from "../../support/postgres-test-database.js";
import { spawnServe, spawnWsctl, standInDaemonArgs, type WsctlProcess } from "./spawn-wsctl.js";

/** Which store engine the e2e suites run on: `sqlite` (a fresh file per stack) or `postgres` (a fresh schema per stack). */
export const testEngine: "sqlite" | "postgres" = process.env.WSCTL_TEST_ENGINE === "postgres" ? "postgres" : "sqlite";

/** A real server process, and optionally a real daemon process, on a fresh SQLite file or PostgreSQL schema. */
export interface Stack {
  url: string;
  tmp: string;
  database: string;
  workspaceId: string;
  machineId: string;
  apiToken: string;
  /** Id of `apiToken`: who a stop made with it records as having stopped a session. */
  apiTokenId: string;
  machineToken: string;
  /** A git repository with one commit: the workspace's root on the machine. */
  repoDir: string;
  /** Where stand-in agents record their argv. */
  recordDir: string;
  server: WsctlProcess;
  daemon: WsctlProcess | undefined;
  /** Runs `wsctl admin` against this stack's database; resolves with stdout. */
  admin(...args: string[]): Promise<string>;
  /** Starts a daemon for the stack's machine and waits until the server sees it online. */
  startDaemon(extraArgs?: string[]): Promise<WsctlProcess>;
  /** Waits until the machine's online state is `online`. */
  waitOnline(machineId: string, online: boolean): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Start a daemon for the machine (default true). */
  daemon?: boolean;
  launchDeadlineMs?: number;
  /** Keep-alive interval of the server's streams (default: the server's own). */
  keepaliveMs?: number;
  /** More `wsctl serve` arguments, e.g. `--tls-cert` and `--tls-key`. */
  serverArgs?: string[];
  /** A CA certificate (PEM) the daemon and the harness trust, for a TLS server. */
  ca?: Buffer;
  daemonArgs?: string[];
  /**
   * The daemon's startup window: how long an agent that has not proved it is
   * alive must survive to count as started (default 2,000 ms). The stand-in
   * proves it with its `init`, written after it recorded itself, so the window
   * only decides for one still booting: a short one answers `ok` for a
   * process a loaded machine has not run a line of yet, whose record a test
   * then does not find.
   */
  startupWindowMs?: number;
  /** The wsctl entry point of the server and daemon processes. Default: the sources through tsx. */
  wsctlBin?: string;
  /** On SQLite, the directory of the database file (a small tmpfs, to fill). Default: the stack's temp directory. */
  databaseDir?: string;
  /** The `--database` the server is given, from the stack's (a proxy's address, to cut). Default: the stack's. */
  serverDatabase?: (database: string) => string;
}

/** GET a JSON document over http or https (trusting `ca`), without fetch's global agent. */
function getJson(url: string, headers: Record<string, string>, ca?: Buffer): Promise<unknown> {
  const get = url.startsWith("https:") ? https.get : http.get;
  return new Promise((resolve, reject) => {
    get(url, { headers, ...(ca ? { ca } : {}) }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        text += d;
      });
      res.on("end", () => resolve(JSON.parse(text)));
    }).on("error", reject);
  });
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const tmp = await mkdtemp(path.join(tmpdir(), "wsctl-e2e-"));
  // The same suites run on each store engine: the e2e-postgres project sets WSCTL_TEST_ENGINE.
  const schema = testEngine === "postgres" ? await createTestSchema("e2e") : undefined;
  const database = schema?.url ?? path.join(options.databaseDir ?? tmp, "wsctl.db");
  const repoDir = path.join(tmp, "repo");
  const recordDir = path.join(tmp, "records");
  await mkdir(recordDir);
  await createGitRepo(repoDir);

  async function admin(...args: string[]): Promise<string> {
    let out = "";
    let err = "";
    const code = await runAdmin([...args, "--database", database], {
      stdout: (s) => {
        out += s;
      },
      stderr: (s) => {
        err += s;
      },
      env: {},
    });
    if (code !== 0) throw new Error(`wsctl admin ${args.join(" ")} exited ${code}: ${err}`);
    return out;
  }
  const workspaceId = "ws1";
  const machineId = "m1";
  const { apiToken, apiTokenId, machineTokens } = await seedWorkspace(database, workspaceId, [machineId]);
  const machineToken = machineTokens.get(machineId)!;

  const { server, url } = await spawnServe(options.serverDatabase?.(database) ?? database, [
    "--launch-deadline-ms",
    String(options.launchDeadlineMs ?? 5000),
    ...(options.keepaliveMs !== undefined ? ["--keepalive-ms", String(options.keepaliveMs)] : []),
    ...(options.serverArgs ?? []),
  ], { ...(options.wsctlBin ? { bin: options.wsctlBin } : {}) });
  const caFile = path.join(tmp, "ca.pem");
  if (options.ca) await writeFile(caFile, options.ca);

  const stack: Stack = {
    url,
    tmp,
    database,
    workspaceId,
    machineId,
    apiToken,
    apiTokenId,
    machineToken,
    repoDir,
    recordDir,
    server,
    daemon: undefined,
    admin,
    async waitOnline(id, online) {
      await pollUntil(
        async () => {
          const body = (await getJson(`${url}/api/v1/machines/${id}`, { Authorization: `Bearer ${apiToken}` }, options.ca)) as {
            machine?: { online?: boolean };
          };
          return (body.machine?.online ?? false) === online;
        },
        { timeoutMs: 20_000, intervalMs: 50, what: `machine ${id} to be ${online ? "online" : "offline"}` },
      );
    },
    async startDaemon(extraArgs = []) {
      const daemon = spawnWsctl(
        [
          "daemon",
          "--server",
          url,
          ...standInDaemonArgs({ token: machineToken, workspaceId, repoDir, stateDir: path.join(tmp, "daemon-state"), startupWindowMs: options.startupWindowMs ?? 2000 }),
          ...(options.daemonArgs ?? []),
          ...extraArgs,
        ],
        {
          env: { STANDIN_RECORD_DIR: recordDir, ...(options.ca ? { NODE_EXTRA_CA_CERTS: caFile } : {}) },
          ...(options.wsctlBin ? { bin: options.wsctlBin } : {}),
        },
      );
      stack.daemon = daemon;
      await stack.waitOnline(machineId, true);
      return daemon;
    },
    async stop() {
      await stack.daemon?.stop();
      await server.stop();
      await rm(tmp, { recursive: true, force: true });
      await schema?.drop();
    },
  };
  if (options.daemon ?? true) await stack.startDaemon();
  return stack;
}
