import { readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pollUntil } from "../../support/poll-until.js";
import { createTestSchema } from "../../support/postgres-test-database.js";
import { createGitRepo } from "./create-git-repo.js";
import { seedWorkspace } from "./seed-workspace.js";
import { spawnServe, spawnWsctl, standInDaemonArgs, type WsctlProcess } from "./spawn-wsctl.js";
import { testEngine } from "./start-stack.js";

/** One machine of a fleet: its own git repository as the workspace's root, its own state dir, a daemon that can be killed and started again. */
export interface FleetDaemon {
  machineId: string;
  repoDir: string;
  stateDir: string;
  /** Whether the daemon runs with `--stop-agents` (else a SIGTERM leaves its agents to its next run, as in production). */
  stopAgents: boolean;
  /** The running daemon process, if any. */
  process: WsctlProcess | undefined;
  /** How many daemon processes were started for the machine. */
  starts: number;
  /** Starts a daemon process (it must not be running); does not wait for it to be online. */
  start(): void;
  /** Sends `signal` to the daemon and waits for it to exit (SIGKILL after 5 s). */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** The stderr of every daemon process of the machine so far, oldest first, each after a `--- start N` line. */
  logs(): string;
  /** Agents whose end it has not yet reported (their entries in `<state dir>/agents`). */
  unreported(): number;
}

/** One `wsctl serve` on a fresh store (the e2e engine) and one `wsctl daemon` per machine of its workspace. */
export interface Fleet {
  url: string;
  /** The store's file or URL, for `openStore`. */
  database: string;
  workspaceId: string;
  apiToken: string;
  server: WsctlProcess;
  /** Where the stand-in agents record each start (`<pid>.json`). */
  recordDir: string;
  daemons: FleetDaemon[];
  /** Ids of the machines the server has online. */
  onlineMachines(): Promise<Set<string>>;
  /** Waits until every machine is online. */
  waitAllOnline(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface FleetOptions {
  /** How many machines (and daemons): `m00`, `m01`, … */
  machines: number;
  launchDeadlineMs?: number;
  /** The daemons' `--startup-window-ms`. Default 1000. */
  startupWindowMs?: number;
  /** Which daemons run with `--stop-agents`. Default: every one. */
  stopAgents?: (index: number) => boolean;
  serverArgs?: string[];
}

/** The agent entries a daemon has not yet reported as ended. */
export function unreportedAgents(stateDir: string): number {
  try {
    return readdirSync(path.join(stateDir, "agents")).filter((name) => name.endsWith(".json")).length;
  } catch {
    return 0;
  }
}

/** Starts the server, a git repository per machine, and every daemon; resolves once all machines are online. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const tmp = await mkdtemp(path.join(tmpdir(), "wsctl-fleet-"));
  const schema = testEngine === "postgres" ? await createTestSchema("fleet") : undefined;
  const database = schema?.url ?? path.join(tmp, "wsctl.db");
  const recordDir = path.join(tmp, "records");
  await mkdir(recordDir);
  const workspaceId = "ws1";
  const machineIds = Array.from({ length: options.machines }, (_, i) => `m${String(i).padStart(2, "0")}`);
  const { apiToken, machineTokens } = await seedWorkspace(database, workspaceId, machineIds);
  const { server, url } = await spawnServe(database, [
    "--launch-deadline-ms",
    String(options.launchDeadlineMs ?? 5000),
    ...(options.serverArgs ?? []),
  ]);

  const daemons = await Promise.all(
    machineIds.map(async (machineId, index): Promise<FleetDaemon> => {
      const repoDir = path.join(tmp, "repos", machineId);
      const stateDir = path.join(tmp, "state", machineId);
      await createGitRepo(repoDir);
      const stopAgents = options.stopAgents?.(index) ?? true;
      const args = [
        "daemon",
        "--server",
        url,
        ...standInDaemonArgs({ token: machineTokens.get(machineId)!, workspaceId, repoDir, stateDir, startupWindowMs: options.startupWindowMs ?? 1000, stopAgents }),
      ];
      const earlier: string[] = [];
      const daemon: FleetDaemon = {
        machineId,
        repoDir,
        stateDir,
        stopAgents,
        process: undefined,
        starts: 0,
        start() {
          if (daemon.process) throw new Error(`the daemon of ${machineId} is running`);
          daemon.process = spawnWsctl(args, { env: { STANDIN_RECORD_DIR: recordDir } });
          daemon.starts++;
        },
        async kill(signal) {
          const running = daemon.process;
          if (!running) return;
          await running.stop(signal);
          earlier.push(`--- start ${earlier.length + 1} (ended by ${signal})\n${running.stderr()}`);
          daemon.process = undefined;
        },
        unreported: () => unreportedAgents(stateDir),
        logs: () => [...earlier, ...(daemon.process ? [`--- start ${earlier.length + 1} (running)\n${daemon.process.stderr()}`] : [])].join("\n"),
      };
      return daemon;
    }),
  );

  const fleet: Fleet = {
    url,
    database,
    workspaceId,
    apiToken,
    server,
    recordDir,
    daemons,
    async onlineMachines() {
      const res = await fetch(`${url}/api/v1/machines`, { headers: { Authorization: `Bearer ${apiToken}` } });
      const body = (await res.json()) as { machines?: { machine_id: string; online?: boolean }[] };
      return new Set((body.machines ?? []).filter((m) => m.online).map((m) => m.machine_id));
    },
    async waitAllOnline(timeoutMs = 60_000) {
      await pollUntil(async () => (await fleet.onlineMachines()).size === machineIds.length, {
        timeoutMs,
        intervalMs: 200,
        what: `all ${machineIds.length} machines to be online`,
      });
    },
    async stop() {
      await Promise.all(daemons.map((d) => d.kill("SIGTERM")));
      await server.stop();
      await rm(tmp, { recursive: true, force: true });
      await schema?.drop();
    },
  };
  for (const daemon of daemons) daemon.start();
  await fleet.waitAllOnline();
  return fleet;
}
