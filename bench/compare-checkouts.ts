// Benchmark: one change, before and after, in the same run. Starts the launch
// benchmark's stack (bench/bench-stack.ts: the server under test, the bench
// daemon, the bare servers) from two checkouts at once — a baseline and a
// candidate, each from its own sources — and measures the same launch rows
// against both in interleaved rounds (A B, then B A), so machine drift lands
// on both sides. Prints, per row, both medians and the median of the per-round
// candidate ÷ baseline ratios (req/s and p50), and writes JSON to
// bench/results/compare-<time>.json. A round where either side had a launch
// not answered `ok` gives that row no ratio.
//
//   git worktree add /tmp/base main~3 && ln -s "$PWD/node_modules" /tmp/base/node_modules
//   npx tsx bench/compare-checkouts.ts /tmp/base            # candidate: this checkout
//   npx tsx bench/compare-checkouts.ts /tmp/base /tmp/other
//
// Knobs (environment):
//   BENCH_ROUNDS    interleaved rounds (default 6)
//   BENCH_SECONDS   seconds of load per row, side and round (default 3)
//   H2LOAD          h2load's path (default /usr/bin/h2load, Debian package nghttp2-client)
// Both checkouts need their dependencies installed (a symlinked node_modules will do).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { BenchStack } from "./bench-stack.js";
import { requireH2load } from "./h2load.js";
import { clean, median } from "./launch-report.js";
import type { Row, Sample } from "./launch-rows.js";
import { repoRoot } from "./spawn-until-ready.js";

/** The rows compared: one launch in flight, the loaded HTTP/2 row, and the HTTP/1.1 pair REST is judged by. */
const rowSpecs = [
  ["grpc", "h2", 1],
  ["grpc", "h2", 64],
  ["connect-json", "h1", 16],
  ["rest", "h1", 16],
] as const;

const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const [baselineArg, candidateArg] = process.argv.slice(2);
if (baselineArg === undefined) {
  console.error("usage: npx tsx bench/compare-checkouts.ts BASELINE_DIR [CANDIDATE_DIR, default this checkout]");
  process.exit(2);
}
try {
  requireH2load();
} catch (error) {
  console.error(`bench/compare-checkouts: ${(error as Error).message}`);
  process.exit(1);
}

/** One checkout's bench modules and the stack started from them. */
interface Side {
  dir: string;
  tmp: string;
  stack: BenchStack;
  row: (answerer: "launch", protocol: string, http: "h2" | "h1", concurrency: number) => Row;
  measure: (stack: BenchStack, target: Row, seconds: number, dir: string) => Promise<Sample>;
}

async function startSide(dir: string): Promise<Side> {
  const bench = (file: string) => import(pathToFileURL(path.join(path.resolve(dir), "bench", file)).href);
  const [stackModule, rowsModule] = await Promise.all([bench("bench-stack.ts"), bench("launch-rows.ts")]);
  const tmp = await mkdtemp(path.join(tmpdir(), "wsctl-bench-compare-"));
  const stack = (await stackModule.startBenchStack(tmp, 0)) as BenchStack;
  return { dir: path.resolve(dir), tmp, stack, row: rowsModule.row, measure: rowsModule.measureRow };
}

const loadAtStart = loadavg();
const sides: Side[] = [];
const samples = new Map<string, { baseline: Sample[]; candidate: Sample[] }>();
try {
  sides.push(await startSide(baselineArg), await startSide(candidateArg ?? repoRoot));
  const [baseline, candidate] = sides as [Side, Side];
  const measure = (side: Side, [protocol, http, concurrency]: (typeof rowSpecs)[number], secs: number) =>
    side.measure(side.stack, side.row("launch", protocol, http, concurrency), secs, side.tmp);
  // Warm-up: JIT, prepared statements, connections, on both.
  for (const spec of rowSpecs) for (const side of sides) await measure(side, spec, 0.5);
  for (let round = 0; round < rounds; round++) {
    for (const spec of rowSpecs) {
      const id = spec.join(" ");
      const entry = samples.get(id) ?? { baseline: [], candidate: [] };
      samples.set(id, entry);
      const order = round % 2 === 0 ? [baseline, candidate] : [candidate, baseline];
      for (const side of order) (side === baseline ? entry.baseline : entry.candidate).push(await measure(side, spec, seconds));
    }
    process.stderr.write(`compare-checkouts: round ${round + 1}/${rounds} done\n`);
  }
} finally {
  for (const side of sides) {
    await side.stack.stop();
    await rm(side.tmp, { recursive: true, force: true });
  }
}

const fmt = (x: number | undefined, digits: number) => (x === undefined ? "-" : x.toFixed(digits));
const results = [...samples].map(([id, { baseline, candidate }]) => {
  const pairs = baseline.map((b, i) => [b, candidate[i]!] as const).filter(([b, c]) => clean(b) && clean(c));
  return {
    row: id,
    baseline: { perSecond: median(baseline.filter(clean).map((s) => s.perSecond)), p50Ms: median(baseline.filter(clean).map((s) => s.p50Ms)) },
    candidate: { perSecond: median(candidate.filter(clean).map((s) => s.perSecond)), p50Ms: median(candidate.filter(clean).map((s) => s.p50Ms)) },
    perSecondRatios: pairs.map(([b, c]) => c.perSecond / b.perSecond),
    p50Ratios: pairs.map(([b, c]) => c.p50Ms / b.p50Ms),
    samples: { baseline, candidate },
  };
});
console.log(`baseline  ${sides[0]?.dir}\ncandidate ${sides[1]?.dir}\n`);
console.log(`${"launch row".padEnd(22)} ${"base req/s".padStart(10)} ${"cand req/s".padStart(10)} ${"req/s c÷b".padStart(9)} ${"base p50".padStart(9)} ${"cand p50".padStart(9)} ${"p50 c÷b".padStart(8)}  per-round req/s c÷b`);
for (const r of results) {
  console.log(
    `${r.row.padEnd(22)} ${fmt(r.baseline.perSecond, 0).padStart(10)} ${fmt(r.candidate.perSecond, 0).padStart(10)} ${fmt(median(r.perSecondRatios), 3).padStart(9)} ${fmt(r.baseline.p50Ms, 2).padStart(9)} ${fmt(r.candidate.p50Ms, 2).padStart(9)} ${fmt(median(r.p50Ratios), 3).padStart(8)}  ${r.perSecondRatios.map((x) => x.toFixed(2)).join(" ")}`,
  );
}
const resultsDir = path.join(repoRoot, "bench/results");
await mkdir(resultsDir, { recursive: true });
const file = path.join(resultsDir, `compare-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
const machine = { cpus: cpus().length, model: cpus()[0]?.model, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() };
await writeFile(file, `${JSON.stringify({ rounds, seconds, machine, baseline: sides[0]?.dir, candidate: sides[1]?.dir, rows: results }, null, 2)}\n`);
console.log(`\nload average ${loadAtStart.map((x) => x.toFixed(1)).join(" ")} at the start, ${loadavg().map((x) => x.toFixed(1)).join(" ")} at the end, ${cpus().length} cores`);
console.log(`results: ${path.relative(repoRoot, file)}`);
