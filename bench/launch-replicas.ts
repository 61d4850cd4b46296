// Benchmark: launches per second through the real launch path (REST launch
// -> the machine's daemon stream -> Acknowledge), on SQLite with one replica
// and on PostgreSQL with one replica and with three, side by side in one run.
// The daemon is bench/bench-daemon.ts (the public DaemonService, an ack at
// once, no agent); the load is bench/launch-load.ts (REST, round-robin over
// replicas and machines, as behind a load balancer). Every server, the
// daemon and the load are their own processes. Rounds are interleaved and
// medians reported, as ratios to SQLite with one replica; the results go to
// bench/results/launch-replicas-<time>.json too.
//
//   npm run bench                                 # 3 rounds x 4 s per target
//   BENCH_ROUNDS=5 BENCH_SECONDS=5 npx tsx bench/launch-replicas.ts
//
// PostgreSQL is WSCTL_BENCH_POSTGRES_URL, else WSCTL_TEST_POSTGRES_URL, else
// postgres://postgres@127.0.0.1:5432/test: a fresh schema per target, dropped
// at the end (its rows are skipped, with the reason, when it is unreachable).
// Both engines run with their defaults: SQLite in WAL with synchronous=NORMAL,
// PostgreSQL with synchronous_commit on.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { createApiToken } from "../server/admin/create-api-token.js";
import { createMachine } from "../server/admin/create-machine.js";
import { createMachineToken } from "../server/admin/create-machine-token.js";
import { createWorkspace } from "../server/admin/create-workspace.js";
import { openAdminStore } from "../server/admin/open-admin-store.js";
import { spawnUntilReady } from "./spawn-until-ready.js";

const run = promisify(execFile);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const postgresUrl = process.env.WSCTL_BENCH_POSTGRES_URL || process.env.WSCTL_TEST_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/test";
const root = path.resolve(import.meta.dirname, "..");
const wsctl = path.join(root, "client/wsctl/wsctl.js");
const machineIds = ["m1", "m2", "m3"];
const workspaceId = "ws";

interface Target {
  name: string;
  processes: ChildProcess[];
  /** Each (replica, machine) pair the load spreads over. */
  pairs: { url: string; machineId: string }[];
  token: string;
  cleanup: () => Promise<void>;
}

/** Seeds a workspace with three machines and their tokens, starts `replicas` servers and the bench daemon (machine i on replica i mod n). */
async function startTarget(name: string, database: string, replicas: number, cleanup: () => Promise<void>): Promise<Target> {
  const store = await openAdminStore(database);
  const tokens: string[] = [];
  let token: string;
  try {
    await createWorkspace(store, workspaceId);
    for (const machineId of machineIds) {
      await createMachine(store, { machineId, workspaceId });
      tokens.push((await createMachineToken(store, { machineId })).token);
    }
    token = (await createApiToken(store, { workspaceIds: [workspaceId] })).token;
  } finally {
    await store.close();
  }
  const servers = await Promise.all(
    Array.from({ length: replicas }, () => spawnUntilReady([wsctl, "serve", "--listen", "127.0.0.1:0", "--database", database], /REST on (http:\/\/\S+)/)),
  );
  const urls = servers.map((s) => s.match[1]!);
  const daemonSpec = tokens.map((t, i) => ({ server: urls[i % urls.length]!, token: t }));
  const daemon = spawn(process.execPath, ["--import", "tsx", "bench/bench-daemon.ts", JSON.stringify(daemonSpec)], { cwd: root, stdio: "inherit" });
  const processes = [...servers.map((s) => s.child), daemon];
  for (const machineId of machineIds) await waitOnline(urls[0]!, token, machineId);
  return { name, processes, pairs: urls.flatMap((url) => machineIds.map((machineId) => ({ url, machineId }))), token, cleanup };
}

async function waitOnline(url: string, token: string, machineId: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/v1/machines/${machineId}`, { headers: { authorization: `Bearer ${token}` } });
    if (((await res.json()) as { machine?: { online?: boolean } }).machine?.online) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`machine ${machineId} did not come online at ${url}`);
}

/** A fresh schema on the benchmark's PostgreSQL, or why there is none. */
async function postgresSchema(label: string): Promise<{ url: string; drop: () => Promise<void> } | string> {
  const admin = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2_000 });
  admin.on("error", () => {});
  try {
    await admin.connect();
  } catch (error) {
    return `PostgreSQL at ${new URL(postgresUrl).host} is unreachable (${(error as Error).message})`;
  }
  const schema = `wsctl_bench_${label}_${randomBytes(3).toString("hex")}`;
  await admin.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
  const url = new URL(postgresUrl);
  url.searchParams.set("schema", schema);
  // 3 replicas x (8 + the backplane's 3) stays well inside a default max_connections of 100.
  url.searchParams.set("pool_size", "8");
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      await admin.end();
    },
  };
}

interface LoadResult {
  launches: number;
  perSecond: number;
  errors: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
}

async function measure(target: Target, forSeconds: number): Promise<LoadResult> {
  const spec = { targets: target.pairs, token: target.token, workspaceId, connections, seconds: forSeconds };
  const { stdout } = await run(process.execPath, ["--import", "tsx", "bench/launch-load.ts", JSON.stringify(spec)], { cwd: root });
  const result = JSON.parse(stdout) as LoadResult;
  const failed = Object.values(result.errors).reduce((a, b) => a + b, 0);
  if (failed > result.launches / 100) throw new Error(`${target.name}: ${failed} failed launches ${JSON.stringify(result.errors)}`);
  return result;
}

const tmp = await mkdtemp(path.join(tmpdir(), "wsctl-bench-launch-"));
const targets: Target[] = [await startTarget("SQLite, 1 replica", path.join(tmp, "bench.db"), 1, async () => {})];
const skipped: string[] = [];
for (const [label, replicas] of [
  ["one", 1],
  ["three", 3],
] as const) {
  const schema = await postgresSchema(label);
  if (typeof schema === "string") {
    skipped.push(`PostgreSQL, ${replicas} replica(s): ${schema}`);
    continue;
  }
  const name = `PostgreSQL, ${replicas} replica${replicas > 1 ? "s" : ""}`;
  targets.push(await startTarget(name, schema.url, replicas, schema.drop));
}

const samples = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
try {
  for (const target of targets) await measure(target, 1); // warm-up: JIT, prepared statements, connections
  for (let round = 1; round <= rounds; round++) {
    for (const target of targets) samples.get(target.name)!.push(await measure(target, seconds));
    process.stderr.write(`launch round ${round}/${rounds} done\n`);
  }
} finally {
  for (const target of targets) for (const child of target.processes) child.kill("SIGTERM");
  await Promise.all(targets.flatMap((t) => t.processes.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(0) : c.once("exit", resolve))))));
  for (const target of targets) await target.cleanup();
  await rm(tmp, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows = targets.map((t) => {
  const s = samples.get(t.name)!;
  return { target: t.name, launchesPerSecond: median(s.map((r) => r.perSecond)), p50Ms: median(s.map((r) => r.p50Ms)), p99Ms: median(s.map((r) => r.p99Ms)) };
});
const base = rows[0]!.launchesPerSecond;
const pgOne = rows.find((r) => r.target === "PostgreSQL, 1 replica")?.launchesPerSecond;
console.log(`\n${"launch path (REST -> daemon -> ack)".padEnd(36)} ${"launches/s".padStart(11)} ${"vs SQLite".padStart(10)} ${"vs PG 1".padStart(8)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)}`);
for (const row of rows) {
  const vsPg = pgOne && row.target.startsWith("PostgreSQL") ? (row.launchesPerSecond / pgOne).toFixed(2) : "";
  console.log(
    `${row.target.padEnd(36)} ${row.launchesPerSecond.toFixed(0).padStart(11)} ${(row.launchesPerSecond / base).toFixed(2).padStart(10)} ${vsPg.padStart(8)} ${row.p50Ms.toFixed(1).padStart(7)} ${row.p99Ms.toFixed(1).padStart(7)}`,
  );
}
for (const line of skipped) console.log(`skipped ${line}`);
const results = path.join(root, "bench/results");
await mkdir(results, { recursive: true });
const file = path.join(results, `launch-replicas-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
await writeFile(file, `${JSON.stringify({ rounds, seconds, connections, rows, samples: Object.fromEntries(samples), skipped }, null, 2)}\n`);
console.log(`results: ${path.relative(root, file)}`);
