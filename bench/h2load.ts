// Runs h2load (Debian package `nghttp2-client`) for one row of the launch
// benchmark and reads its answer: the summary's counts and, from its
// per-request log (`--log-file`), the latency percentiles h2load's own
// summary does not print. HTTP/2 over cleartext with prior knowledge, as
// gRPC clients speak to a plain `http://` server.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where h2load is looked for: `H2LOAD`, else the Debian path. */
export const h2loadBin = process.env.H2LOAD ?? "/usr/bin/h2load";

/** Throws, naming the package to install, when h2load is missing. */
export function requireH2load(): void {
  if (!existsSync(h2loadBin)) {
    throw new Error(`h2load is missing at ${h2loadBin}: install the Debian package nghttp2-client (apt-get install nghttp2-client), or set H2LOAD`);
  }
}

export interface H2loadRun {
  /** Full URL of the call, e.g. http://127.0.0.1:8080/workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession. */
  url: string;
  /** Request headers (content-type, authorization, te…). */
  headers: Record<string, string>;
  /** File holding the request body (sent as a POST). */
  bodyFile: string;
  /** TCP connections (h2load's clients). */
  connections: number;
  /** Concurrent streams per connection. */
  streams: number;
  seconds: number;
  /** Where the per-request log goes (removed after reading). */
  logFile: string;
}

export interface LoadAnswer {
  /** Requests answered with a 2xx status in the measured window. */
  ok: number;
  /** Requests that failed at the HTTP level or never finished: non-2xx, errored, timed out. */
  failed: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** The value at quantile `q` of sorted `xs` (0 when empty). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** Runs h2load once, for `seconds` after a short warm-up, and reads its counts and latencies. */
export async function runH2load(spec: H2loadRun): Promise<LoadAnswer> {
  const headerArgs = Object.entries(spec.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
  const args = [
    "-c",
    String(spec.connections),
    "-m",
    String(spec.streams),
    "-D",
    `${Math.round(spec.seconds * 1000)}ms`,
    "--warm-up-time",
    "300ms",
    "-d",
    spec.bodyFile,
    "--log-file",
    spec.logFile,
    ...headerArgs,
    spec.url,
  ];
  const { stdout } = await run(h2loadBin, args, { maxBuffer: 16 * 1024 * 1024 });
  const summary = parseSummary(stdout);
  const lines = (await readFile(spec.logFile, "utf8")).split("\n");
  await rm(spec.logFile, { force: true });
  const micros: number[] = [];
  for (const line of lines) {
    const [, status, duration] = line.split("\t");
    if (status !== undefined && status.startsWith("2") && duration !== undefined) micros.push(Number(duration));
  }
  micros.sort((a, b) => a - b);
  return { ...summary, p50Ms: quantile(micros, 0.5) / 1000, p99Ms: quantile(micros, 0.99) / 1000 };
}

/** The counts and rate of h2load's summary ("finished in …, N req/s", "requests: …", "status codes: …"). */
export function parseSummary(stdout: string): { ok: number; failed: number; perSecond: number } {
  const rate = stdout.match(/finished in [\d.]+m?s, ([\d.]+) req\/s/);
  const requests = stdout.match(/requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/);
  const codes = stdout.match(/status codes: (\d+) 2xx/);
  if (!rate || !requests || !codes) throw new Error(`cannot read h2load's output:\n${stdout}`);
  const [total, , , , failed, errored, timeout] = requests.slice(1).map(Number) as [number, number, number, number, number, number, number];
  const ok = Number(codes[1]);
  return { ok, failed: Math.max(total - ok, failed + errored + timeout), perSecond: Number(rate[1]) };
}

/** A log file path for one run in `dir`. */
export function logFileIn(dir: string, label: string): string {
  return path.join(dir, `h2load-${label.replace(/[^\w-]+/g, "_")}-${process.hrtime.bigint()}.log`);
}
