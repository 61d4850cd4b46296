// What the daemon's process tests share: stand-in agents and a git repository
// per file, daemons run in process against a fake server, and cleanup after
// each test (daemons stopped, agents left running killed, servers closed).
import { mkdtemp } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type DaemonOptions, runDaemon } from "../../../client/daemon/run-daemon.js";
import { createFakeDaemonService, type FakeDaemonService } from "./fake-daemon-service.js";
import { createStandInAgents, isAlive, type StandInAgents } from "./stand-in-agents.js";
import { createTempGitRepo, type TempGitRepo } from "./temp-git-repo.js";

/** A daemon started by DaemonTestBed.startDaemon. */
export interface StartedDaemon {
  /** The fake it is connected to (unused when it was given real servers). */
  fake: FakeDaemonService;
  logs: string[];
  abort: AbortController;
  done: Promise<void>;
}

export interface DaemonTestBed {
  readonly agents: StandInAgents;
  readonly temp: TempGitRepo;
  /** A new state directory under the test repo's temp dir. */
  newStateDir(): Promise<string>;
  /**
   * Runs a daemon for workspace `ws1` (the test repo) with `token`, fast
   * timings, the graceful stand-in as claude and a new state directory;
   * connected to a new fake (and resolving once it subscribed there) unless
   * `server` is given. Stopped after the test.
   */
  startDaemon(options?: Partial<DaemonOptions>): Promise<StartedDaemon>;
  /** Kills `pid` with SIGKILL after the test if it still runs. */
  leave(pid: number): void;
  /** Runs `cleanup` after the test. */
  onCleanup(cleanup: () => Promise<unknown> | undefined): void;
}

/** Registers the file's hooks; its fields are usable from the tests on. */
export function useDaemonTestBed(token: string): DaemonTestBed {
  let agents: StandInAgents | undefined;
  let temp: TempGitRepo | undefined;
  const daemons: StartedDaemon[] = [];
  const pids: number[] = [];
  const cleanups: (() => Promise<unknown> | undefined)[] = [];

  beforeAll(async () => {
    agents = await createStandInAgents();
    temp = await createTempGitRepo();
  });
  afterEach(async () => {
    for (const daemon of daemons.splice(0)) {
      daemon.abort.abort();
      await daemon.done;
    }
    for (const cleanup of cleanups.splice(0)) await cleanup();
    for (const pid of pids.splice(0)) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  });
  afterAll(async () => {
    await agents?.cleanup();
    await temp?.cleanup();
  });

  const bed: DaemonTestBed = {
    get agents() {
      return agents!;
    },
    get temp() {
      return temp!;
    },
    newStateDir: () => mkdtemp(path.join(bed.temp.base, "state-")),
    async startDaemon(options = {}) {
      const stateDir = options.stateDir ?? (await bed.newStateDir());
      const fake = createFakeDaemonService({ token });
      const logs: string[] = [];
      const abort = new AbortController();
      const done = runDaemon({
        server: "http://fake",
        token,
        stateDir,
        workspaceRoots: new Map([["ws1", bed.temp.repo]]),
        bins: { claude: bed.agents.graceful, codex: bed.agents.codex },
        ...(options.server === undefined ? { transport: fake.transport } : {}),
        startupWindowMs: 200,
        backoff: { initialMs: 10, maxMs: 50 },
        shutdownGraceMs: 200,
        adoptedPollMs: 50,
        ...options,
        signal: abort.signal,
        log: (line) => logs.push(line),
      });
      const daemon = { fake, logs, abort, done };
      daemons.push(daemon);
      if (options.server === undefined) await fake.waitForSubscribes(1);
      return daemon;
    },
    leave: (pid) => void pids.push(pid),
    onCleanup: (cleanup) => void cleanups.push(cleanup),
  };
  return bed;
}
