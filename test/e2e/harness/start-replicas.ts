import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createGitRepo } from "./create-git-repo.js";
import { pollUntil } from "../../support/poll-until.js";
import { createTestSchema, type TestSchema } from "../../support/postgres-test-database.js";
import { seedWorkspace } from "./seed-workspace.js";
import { unreportedAgents } from "./start-fleet.js";
import { spawnServe, spawnWsctl, standInDaemonArgs, type WsctlProcess } from "./spawn-wsctl.js";

/** A `wsctl daemon` process of one machine, with the servers it was given in order. */
export interface ReplicaDaemon {
  machineId: string;
  servers: string[];
  process: WsctlProcess;
  /** How many times it moved to another server ("failing over to" in its log). */
  failovers(): number;
  /** The server it last subscribed to. */
  subscribedTo(): string | undefined;
  /** Agents whose end it has not yet reported (their entries in `<state dir>/agents`, removed once the server took the report). */
  unreported(): number;
}

/** Several `wsctl serve` processes on one fresh PostgreSQL schema, and `wsctl daemon` processes for its machines. */
export interface Replicas {
  /** The schema's URL, for `openStore` and `--database`. */
  database: string;
  workspaceId: string;
  apiToken: string;
  machineIds: string[];
  servers: WsctlProcess[];
  /** Base URLs of the replicas, in the order they were started. */
  urls: string[];
  daemons: ReplicaDaemon[];
  /** A git repository with one commit: every machine's root for the workspace. */
  repoDir: string;
  /** Where the stand-in agents record each start (`<pid>.json`). */
  recordDir: string;
  /** Starts a daemon for `machineId` with `--server` for each of `servers`, in that order (and `extraArgs`); resolves once the machine is online. */
  startDaemon(machineId: string, servers: string[], extraArgs?: string[]): Promise<ReplicaDaemon>;
  /** Waits until `machineId` is online as seen by the replica at `url`. */
  waitOnline(machineId: string, url: string): Promise<void>;
  stop(): Promise<void>;
}

export interface ReplicasOptions {
  replicas: number;
  /** Ids of the workspace's machines (the first is its default). */
  machines: string[];
  launchDeadlineMs?: number;
  /** `?pool_size=` of each replica. Default 4. */
  poolSize?: number;
  /** The daemons' `--startup-window-ms`. Default 100. */
  startupWindowMs?: number;
}

const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0;

/** Starts `replicas` servers on one new schema with a workspace, `machines` machines and their tokens; no daemon yet. */
export async function startReplicas(options: ReplicasOptions): Promise<Replicas> {
  const tmp = await mkdtemp(path.join(tmpdir(), "wsctl-replicas-"));
  const schema: TestSchema = await createTestSchema("replicas");
  const url = new URL(schema.url);
  url.searchParams.set("pool_size", String(options.poolSize ?? 4));
  const database = url.toString();
  const repoDir = path.join(tmp, "repo");
  const recordDir = path.join(tmp, "records");
  await mkdir(recordDir);
  await createGitRepo(repoDir);

  const workspaceId = "ws1";
  const machineIds = options.machines;
  const { apiToken, machineTokens } = await seedWorkspace(database, workspaceId, machineIds);

  const started = await Promise.all(
    Array.from({ length: options.replicas }, () =>
      spawnServe(database, ["--launch-deadline-ms", String(options.launchDeadlineMs ?? 5000), "--keepalive-ms", "1000", "--lease-ms", "3000"]),
    ),
  );
  const servers = started.map((s) => s.server);
  const urls = started.map((s) => s.url);
  const daemons: ReplicaDaemon[] = [];

  const replicas: Replicas = {
    database,
    workspaceId,
    apiToken,
    machineIds,
    servers,
    urls,
    daemons,
    repoDir,
    recordDir,
    async waitOnline(machineId, at) {
      await pollUntil(
        async () => {
          const res = await fetch(`${at}/api/v1/machines/${machineId}`, { headers: { Authorization: `Bearer ${apiToken}` } });
          const body = (await res.json()) as { machine?: { online?: boolean } };
          return body.machine?.online === true;
        },
        { timeoutMs: 20_000, intervalMs: 50, what: `machine ${machineId} to be online at ${at}` },
      );
    },
    async startDaemon(machineId, daemonServers, extraArgs = []) {
      const stateDir = path.join(tmp, `daemon-${machineId}`);
      const process = spawnWsctl(
        [
          "daemon",
          ...daemonServers.flatMap((server) => ["--server", server]),
          ...standInDaemonArgs({ token: machineTokens.get(machineId)!, workspaceId, repoDir, stateDir, startupWindowMs: options.startupWindowMs ?? 100 }),
          ...extraArgs,
        ],
        { env: { STANDIN_RECORD_DIR: recordDir } },
      );
      const daemon: ReplicaDaemon = {
        machineId,
        servers: daemonServers,
        process,
        failovers: () => count(process.stderr(), /failing over to/g),
        // The daemon logs JSON lines: the URL ends at the closing quote of "msg".
        subscribedTo: () => [...process.stderr().matchAll(/subscribing to ([^\s"]+)/g)].at(-1)?.[1],
        unreported: () => unreportedAgents(stateDir),
      };
      daemons.push(daemon);
      await replicas.waitOnline(machineId, daemonServers[0]!);
      return daemon;
    },
    async stop() {
      await Promise.all(daemons.map((d) => d.process.stop()));
      await Promise.all(servers.map((s) => s.stop()));
      await rm(tmp, { recursive: true, force: true });
      await schema.drop();
    },
  };
  return replicas;
}
