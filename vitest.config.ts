import { accessSync, constants } from "node:fs";
import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * Suites that start real processes: servers, daemons, stand-in agents, git,
 * Chromium, Python. Everything else under test/ is a unit test: in process,
 * milliseconds, mirroring server/ and client/.
 */
const processSuites = [
  "test/e2e/**/*.test.ts",
  "test/interop/**/*.test.ts",
  "test/browser/**/*.test.ts",
  "test/client/daemon/spawn-agent.test.ts",
  "test/client/daemon/run-daemon.test.ts",
  "test/client/daemon/run-daemon-restart.test.ts",
  "test/client/daemon/run-daemon-permissions.test.ts",
  "test/client/daemon/run-daemon-http2.test.ts",
  "test/client/daemon/ensure-worktree.test.ts",
  "test/client/daemon/run-git.test.ts",
  "test/client/daemon/handle-launch.test.ts",
  "test/client/daemon/create-command-dispatcher.test.ts",
  "test/client/daemon/run-daemon-failover.test.ts",
  "test/client/daemon/run-daemon-report-stream.test.ts",
  "test/client/daemon/agent-stdin.test.ts",
  "test/client/daemon/run-daemon-secrets.test.ts",
  "test/client/daemon/prune-worktrees.test.ts",
  "test/client/daemon/process-identity.test.ts",
  "test/client/daemon/find-marked-agent.test.ts",
  "test/server/reflection/create-reflection-services.test.ts",
  "test/server/openapi/create-openapi-document-comments.test.ts",
  // Runs curl against the one port.
  "test/server/transport/listen-one-port.test.ts",
  // In process, but bound to the wall clock: the process's memory after full collections, and
  // idle HTTP/1.1 sockets, which Node closes 1 s past keepAliveTimeout (a fixed buffer in node:http).
  "test/server/auth/create-auth-gate-memory.test.ts",
  "test/server/transport/listen-one-port-close.test.ts",
  // A real PostgreSQL server: the suites of the PostgreSQL engine and backplane (the contract
  // suites that run on both engines stay in unit with SQLite and PostgreSQL side by side).
  "test/server/store/postgres-store.test.ts",
  "test/server/store/postgres-admin.test.ts",
  "test/server/store/postgres/**/*.test.ts",
  "test/server/hub/postgres/**/*.test.ts",
];

/** Unit suites that replace modules with `vi.mock`: they need a module cache of their own. */
const mockingSuites = ["test/server/start-server.test.ts"];

/**
 * Threads for the in-process projects. Vitest's default is one fewer than the
 * cores, which on two cores is a single thread; the unit suites wait on
 * sockets and timers as much as on the CPU, so they get one more than the
 * cores (measured on 2 cores: 1 thread 21 s, 2 threads 11 s, 3 threads 9 s,
 * 4 threads 10 s). The process projects run after them (group 1) with
 * vitest's default.
 */
const unitWorkers = availableParallelism() + 1;

/**
 * Where the in-process suites make their temporary files (databases, state dirs, sockets): a
 * tmpfs when the machine has one, since those suites test logic, not disks (measured: the SQLite
 * store suites take half the time on /dev/shm as on a disk-backed /tmp). The process suites keep
 * the machine's TMPDIR, so the real processes write to a real disk.
 */
const unitEnv: Record<string, string> = memoryTmpdir() ? { TMPDIR: "/dev/shm" } : {};

function memoryTmpdir(): boolean {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The long reliability runs (`npm run test:soak`, `.ci/run`): minutes each, never part of `npm test`. */
const soakSuites = ["test/soak/**/*.test.ts"];

// `npm test` names its projects (every one but soak); `npm run test:unit` only the fast ones.
export default defineConfig({
  test: {
    // Transformed modules are kept in node_modules/.experimental-vitest-cache (keyed by content),
    // so a rerun of the suites does not transform the sources again.
    experimental: { fsModuleCache: true },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          // Worker threads start faster than processes; nothing here spawns or forks.
          // Files share a worker's module cache, so a suite that mocks modules runs isolated below.
          pool: "threads",
          isolate: false,
          maxWorkers: unitWorkers,
          sequence: { groupOrder: 0 },
          include: ["test/**/*.test.ts"],
          exclude: [...processSuites, ...mockingSuites, ...soakSuites],
          env: unitEnv,
          testTimeout: 5_000,
          hookTimeout: 5_000,
        },
      },
      {
        extends: true,
        test: {
          name: "unit-isolated",
          pool: "threads",
          maxWorkers: unitWorkers,
          sequence: { groupOrder: 0 },
          include: mockingSuites,
          env: unitEnv,
          testTimeout: 5_000,
          hookTimeout: 5_000,
        },
      },
      {
        // The same end-to-end suites on the other store engine: every stack gets a fresh PostgreSQL schema.
        extends: true,
        test: {
          name: "e2e-postgres",
          pool: "forks",
          sequence: { groupOrder: 1 },
          include: ["test/e2e/**/*.test.ts"],
          // replicas runs on PostgreSQL in any project: once, under e2e, is enough. package-install
          // packs and installs the package (its store is beside the point); twice at once they
          // would race over dist/ and npm-shrinkwrap.json.
          // store-faults deletes and fills a SQLite file: its PostgreSQL twin is store-faults-postgres.
          exclude: [
            ...configDefaults.exclude,
            "test/e2e/replicas.test.ts",
            "test/e2e/revocation-replicas.test.ts",
            "test/e2e/package-install.test.ts",
            "test/e2e/store-faults.test.ts",
          ],
          env: { WSCTL_TEST_ENGINE: "postgres" },
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          pool: "forks",
          sequence: { groupOrder: 1 },
          include: processSuites,
          // It cuts the server's connection to PostgreSQL: run by e2e-postgres only.
          exclude: [...configDefaults.exclude, "test/e2e/store-faults-postgres.test.ts"],
          // Real processes need more than the default 5 s.
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // A churn of thousands of launches over real processes, on the engine WSCTL_TEST_ENGINE names (SQLite by default).
        extends: true,
        test: {
          name: "soak",
          pool: "forks",
          sequence: { groupOrder: 2 },
          include: soakSuites,
          testTimeout: 900_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
