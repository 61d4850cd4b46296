// Benchmark: how fast wsctl starts, compiled (dist/, `npm run build`) against
// the TypeScript sources run through tsx, with bare `node -e 0` as the
// baseline, measured side by side in interleaved rounds (medians; compare the
// ratios, the absolute numbers move with the machine's load).
//
//   npm run bench:startup          # 7 rounds
//   BENCH_ROUNDS=15 npm run bench:startup
//
// Two measures: the wall time of `wsctl --version`, and for `wsctl serve` the
// time from spawning the process to its first HTTP answer (GET /healthz), with
// the server's resident memory at that moment.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const root = path.resolve(import.meta.dirname, "..");
const compiled = path.join(root, "dist/wsctl.js");
const sources = path.join(root, "client/wsctl/wsctl.js");
if (!existsSync(compiled)) {
  console.error("bench/startup: dist/wsctl.js is missing; run `npm run build` first");
  process.exit(1);
}
const tmp = await mkdtemp(path.join(tmpdir(), "wsctl-startup-"));

/** Wall time of a process from spawn to exit, in ms. */
function timeExit(args: string[]): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`${args.join(" ")} exited ${code}`))));
  });
}

/** Spawns `wsctl serve` and times its first answer; resolves with ms and the RSS in MiB then. */
async function timeFirstAnswer(bin: string, round: number): Promise<{ ms: number; rssMiB: number }> {
  const database = path.join(tmp, `serve-${path.basename(path.dirname(bin))}-${round}.db`);
  const start = performance.now();
  const child = spawn(process.execPath, [bin, "serve", "--listen", "127.0.0.1:0", "--database", database, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = out.match(/REST on (http:\/\/\S+)/);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`serve exited ${code} before it listened`)));
    });
    const res = await fetch(`${url}/healthz`);
    await res.arrayBuffer();
    const ms = performance.now() - start;
    const status = await readFile(`/proc/${child.pid}/status`, "utf8").catch(() => "");
    const rssKiB = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
    return { ms, rssMiB: rssKiB / 1024 };
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const version = { node: [] as number[], compiled: [] as number[], sources: [] as number[] };
const serve = { compiled: [] as number[], sources: [] as number[], compiledRss: [] as number[], sourcesRss: [] as number[] };
try {
  for (let round = 0; round < rounds; round++) {
    version.node.push(await timeExit(["-e", "0"]));
    version.compiled.push(await timeExit([compiled, "--version"]));
    version.sources.push(await timeExit([sources, "--version"]));
    const c = await timeFirstAnswer(compiled, round);
    const s = await timeFirstAnswer(sources, round);
    serve.compiled.push(c.ms);
    serve.compiledRss.push(c.rssMiB);
    serve.sources.push(s.ms);
    serve.sourcesRss.push(s.rssMiB);
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}

const base = median(version.node);
const row = (name: string, ms: number, ratio: string, extra = "") =>
  console.log(`${name.padEnd(44)} ${ms.toFixed(0).padStart(8)} ms ${ratio.padStart(12)} ${extra}`);
console.log(`\n${"startup (median of interleaved rounds)".padEnd(44)} ${"time".padStart(11)} ${"ratio".padStart(12)}`);
row("node -e 0 (baseline)", base, "1.00");
row("wsctl --version, compiled (dist/)", median(version.compiled), `${(median(version.compiled) / base).toFixed(2)} x node`);
row("wsctl --version, sources through tsx", median(version.sources), `${(median(version.sources) / base).toFixed(2)} x node`);
const sourcesServe = median(serve.sources);
row("serve: first answer, sources through tsx", sourcesServe, "1.00", `${median(serve.sourcesRss).toFixed(0)} MiB`);
row(
  "serve: first answer, compiled (dist/)",
  median(serve.compiled),
  `${(median(serve.compiled) / sourcesServe).toFixed(2)} x tsx`,
  `${median(serve.compiledRss).toFixed(0)} MiB`,
);
