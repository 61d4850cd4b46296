// The launch benchmark's verdict: every row's medians over the rounds with
// its ratio to its baseline, and the issue's targets, each ratio computed
// within one round (both sides measured minutes apart at most) and the median
// of those taken. A round whose sample of either side had errors gives no
// ratio for it.
import type { FanoutSample } from "./fanout-phase.js";
import { quantile } from "./h2load.js";
import { type Row, row, type Sample } from "./launch-rows.js";
import type { RealLaunchSample } from "./real-launch.js";

export type Rounds = Map<string, Sample[]>;

export const median = (xs: readonly number[]): number | undefined => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] : undefined);

/** Whether a sample is a measurement: every launch of it was answered `ok`. */
export const clean = (s: Sample | undefined): s is Sample => s !== undefined && Object.keys(s.errors).length === 0;

/** The median over rounds of `f(a, b)`, for rounds where both rows measured cleanly. */
function ratio(rounds: Rounds, a: Row, b: Row, f: (a: Sample, b: Sample) => number): number | undefined {
  const as = rounds.get(a.id) ?? [];
  const bs = rounds.get(b.id) ?? [];
  const values: number[] = [];
  for (let i = 0; i < as.length; i++) {
    const x = as[i];
    const y = bs[i];
    if (clean(x) && clean(y)) values.push(f(x, y));
  }
  return median(values);
}

/** The row each row is compared with: the bare connect-node server for the same protocol and load, raw node:http for GET. */
export function baselineOf(target: Row, rows: readonly Row[]): Row | undefined {
  const find = (r: Row) => rows.find((x) => x.id === r.id);
  if (target.answerer === "launch" || target.answerer === "bare-grpc-js") return target.http === "h2" ? find(row("bare-connect", target.protocol, "h2", target.concurrency)) : undefined;
  if (target.answerer === "get-rest" || target.answerer === "get-connect") return find(row("get-raw-http", "rest", "h1", 16));
  return undefined;
}

export interface Target {
  what: string;
  goal: string;
  measured: number | undefined;
  met: boolean | undefined;
}

export function targets(rounds: Rounds, fanout: FanoutSample[], real: RealLaunchSample): Target[] {
  const at = (goal: "min" | "max", limit: number, what: string, measured: number | undefined): Target => ({
    what,
    goal: `${goal === "min" ? ">=" : "<="} ${limit}`,
    measured,
    met: measured === undefined ? undefined : goal === "min" ? measured >= limit : measured <= limit,
  });
  const grpc64 = row("launch", "grpc", "h2", 64);
  const thousand = fanout.find((f) => f.daemons === 1000 && f.error === undefined);
  const launchP50 = median(real.launchMs);
  const aloneP50 = median(real.aloneMs);
  return [
    at("min", 0.4, "gRPC launch / bare connect-node constant, req/s, h2load 4 conn x 16 streams", ratio(rounds, grpc64, row("bare-connect", "grpc", "h2", 64), (a, b) => a.perSecond / b.perSecond)),
    at("min", 1.2, "REST launch / Connect JSON launch, req/s, HTTP/1.1 16 connections", ratio(rounds, row("launch", "rest", "h1", 16), row("launch", "connect-json", "h1", 16), (a, b) => a.perSecond / b.perSecond)),
    at("max", 3, "gRPC launch p50 / bare connect-node p50, 1 in flight", ratio(rounds, row("launch", "grpc", "h2", 1), row("bare-connect", "grpc", "h2", 1), (a, b) => a.p50Ms / b.p50Ms)),
    at("max", 2, "gRPC launch p99 / p50, 64 in flight", ratio(rounds, grpc64, grpc64, (a) => a.p99Ms / a.p50Ms)),
    at("max", 16, "server heap KiB per idle daemon, 1,000 streams, after a full GC", thousand && thousand.heapBytesPerDaemon / 1024),
    // RSS does not shrink back after a GC: no growth means it hid under an earlier high-water mark, not that it was free.
    at("max", 32, "server RSS KiB per idle daemon, 1,000 streams, after a full GC", thousand && thousand.rssBytesPerDaemon > 0 ? thousand.rssBytesPerDaemon / 1024 : undefined),
    at("max", 1.5, "real REST launch p50 (worktree + spawn) / the same work timed alone", launchP50 !== undefined && aloneP50 !== undefined && real.errors.length === 0 ? launchP50 / aloneP50 : undefined),
  ];
}

const num = (x: number | undefined, digits = 2) => (x === undefined ? "n/a" : x.toFixed(digits));

/** Prints the rows, the fan-out, the real launch and the targets. */
export function printReport(rows: readonly Row[], rounds: Rounds, fanout: FanoutSample[], real: RealLaunchSample, goals: Target[]): void {
  console.log(`\n${"row (medians of interleaved rounds)".padEnd(64)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"/ base".padStart(7)} errors`);
  for (const r of rows) {
    const samples = (rounds.get(r.id) ?? []).filter(clean);
    const base = baselineOf(r, rows);
    const errors = (rounds.get(r.id) ?? []).filter((s) => Object.keys(s.errors).length > 0).map((s) => JSON.stringify(s.errors));
    console.log(
      `${r.name.padEnd(64)} ${num(median(samples.map((s) => s.perSecond)), 0).padStart(8)} ${num(median(samples.map((s) => s.p50Ms))).padStart(8)} ${num(median(samples.map((s) => s.p99Ms))).padStart(8)} ${(base ? num(ratio(rounds, r, base, (a, b) => a.perSecond / b.perSecond)) : "").padStart(7)} ${errors.join(" ")}`,
    );
  }
  console.log(`\n${"idle fan-out (gRPC launch x64)".padEnd(40)} ${"subscribe s".padStart(11)} ${"heap/daemon".padStart(12)} ${"RSS/daemon".padStart(11)} ${"with/without".padStart(13)}`);
  for (const f of fanout) {
    const dropped = f.error ? ` NOT MEASURED: ${f.error}` : "";
    console.log(
      `${`${f.daemons} idle daemons + the bench daemon`.padEnd(40)} ${f.subscribeSeconds.toFixed(1).padStart(11)} ${`${(f.heapBytesPerDaemon / 1024).toFixed(1)} KiB`.padStart(12)} ${`${(f.rssBytesPerDaemon / 1024).toFixed(1)} KiB`.padStart(11)} ${f.throughputRatio.toFixed(2).padStart(13)}${dropped}`,
    );
  }
  const sorted = [...real.launchMs].sort((a, b) => a - b);
  console.log(
    `\nreal launch (REST, worktree + spawn): p50 ${num(median(real.launchMs), 1)} ms, p99 ${num(quantile(sorted, 0.99), 1)} ms over ${real.launchMs.length}; the same work alone: p50 ${num(median(real.aloneMs), 1)} ms${real.errors.length ? `; errors: ${real.errors.join("; ")}` : ""}`,
  );
  console.log(`\n${"target".padEnd(80)} ${"goal".padStart(7)} ${"measured".padStart(9)}`);
  for (const g of goals) console.log(`${g.what.padEnd(80)} ${g.goal.padStart(7)} ${num(g.measured).padStart(9)} ${g.met === undefined ? "not measured" : g.met ? "met" : "NOT met"}`);
}
