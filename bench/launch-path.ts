// Benchmark: the REAL launch path (auth, validation, store, the command
// pushed down a real DaemonService.Subscribe stream, the Acknowledge of
// bench/bench-daemon.ts, a daemon on the public protocol that acks without
// spawning) over gRPC, gRPC-Web, Connect binary and JSON (h2load, HTTP/2) and
// REST (autocannon, HTTP/1.1), at 1, 16 and 64 in flight, side by side with
// the same RPC answered by a constant from a bare connect-node server and a
// bare @grpc/grpc-js server (bench/bare-servers.ts), and the GET row (a
// stored session read vs raw node:http). Then the idle fan-out (1,000 and
// 10,000 subscribed daemons from bench/fanout-daemons.ts: the server's memory
// per daemon after a full GC, launch throughput with them / without) and the
// real launch (bench/real-launch.ts: the real `wsctl daemon`, a worktree and
// the stand-in agent, against the same work timed alone). Every server, the
// daemons and the load are processes of their own; rows run in interleaved
// rounds (A B A B…), every ratio within one round, medians reported. Prints a
// table and writes bench/results/launch-path-<time>.json.
//
//   npm run bench                                   # runs this first
//   BENCH_ROUNDS=5 BENCH_SECONDS=3 npx tsx bench/launch-path.ts
//
// Knobs (environment):
//   BENCH_ROUNDS        interleaved rounds of every row (default 3)
//   BENCH_SECONDS       seconds of load per row and round (default 1.5; h2load warms up 0.3 s more)
//   BENCH_FANOUT        idle daemon counts, comma-separated (default 1000,10000; "" skips the fan-out)
//   BENCH_REAL_PAIRS    real launches, each paired with the same work timed alone (default 9)
//   H2LOAD              h2load's path (default /usr/bin/h2load, Debian package nghttp2-client)
import { cpus, loadavg, tmpdir } from "node:os";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { startBenchStack } from "./bench-stack.js";
import { type FanoutSample, measureFanout } from "./fanout-phase.js";
import { requireH2load } from "./h2load.js";
import { printReport, type Rounds, targets } from "./launch-report.js";
import { allRows, measureRow, row } from "./launch-rows.js";
import { measureRealLaunches, type RealLaunchSample } from "./real-launch.js";
import { repoRoot } from "./spawn-until-ready.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 1.5);
const fanoutLevels = (process.env.BENCH_FANOUT ?? "1000,10000").split(",").filter(Boolean).map(Number);
const realPairs = Number(process.env.BENCH_REAL_PAIRS ?? 9);

try {
  requireH2load();
} catch (error) {
  console.error(`bench/launch-path: ${(error as Error).message}`);
  process.exit(1);
}

const loadAtStart = loadavg();
const tmp = await mkdtemp(path.join(tmpdir(), "wsctl-bench-path-"));
const stack = await startBenchStack(tmp, Math.max(0, ...fanoutLevels));
const rows = allRows();
const samples: Rounds = new Map(rows.map((r) => [r.id, []]));
const fanout: FanoutSample[] = [];
let real: RealLaunchSample = { launchMs: [], aloneMs: [], errors: ["not run"] };
try {
  // Warm-up: JIT, prepared statements, connections.
  for (const r of rows) await measureRow(stack, r, 0.5, tmp);
  // The fan-out first: RSS never shrinks back, so after the launch rounds its growth would hide under their high-water mark.
  const grpc64 = row("launch", "grpc", "h2", 64);
  for (const daemons of fanoutLevels) {
    fanout.push(await measureFanout(stack, daemons, () => measureRow(stack, grpc64, seconds, tmp)));
    process.stderr.write(`launch-path: fan-out of ${daemons} done\n`);
  }
  for (let round = 1; round <= rounds; round++) {
    for (const r of rows) samples.get(r.id)!.push(await measureRow(stack, r, seconds, tmp));
    process.stderr.write(`launch-path: round ${round}/${rounds} done\n`);
  }
  real = await measureRealLaunches(stack, tmp, realPairs, 1);
  process.stderr.write("launch-path: real launches done\n");
} finally {
  await stack.stop();
  await rm(tmp, { recursive: true, force: true });
}

const goals = targets(samples, fanout, real);
printReport(rows, samples, fanout, real, goals);
const results = path.join(repoRoot, "bench/results");
await mkdir(results, { recursive: true });
const file = path.join(results, `launch-path-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
const machine = { cpus: cpus().length, model: cpus()[0]?.model, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() };
await writeFile(file, `${JSON.stringify({ rounds, seconds, machine, targets: goals, rows: rows.map((r) => ({ ...r, samples: samples.get(r.id) })), fanout, real }, null, 2)}\n`);
console.log(`\nload average ${loadAtStart.map((x) => x.toFixed(1)).join(" ")} at the start, ${loadavg().map((x) => x.toFixed(1)).join(" ")} at the end, ${cpus().length} cores`);
console.log(`results: ${path.relative(repoRoot, file)}`);
