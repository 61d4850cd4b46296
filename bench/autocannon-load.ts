// Runs autocannon (HTTP/1.1 keep-alive, one request in flight per connection)
// in a child process for one row of a benchmark, so load and server do not
// share an event loop, and reads its JSON answer.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { LoadAnswer } from "./h2load.js";
import { repoRoot } from "./spawn-until-ready.js";

const run = promisify(execFile);
const autocannon = path.join(repoRoot, "node_modules/autocannon/autocannon.js");

export interface AutocannonRun {
  url: string;
  method?: "GET" | "POST";
  headers: Record<string, string>;
  body?: Uint8Array;
  connections: number;
  seconds: number;
}

/** Runs autocannon once; `failed` counts non-2xx answers, errors and timeouts. */
export async function runAutocannon(spec: AutocannonRun): Promise<LoadAnswer> {
  const args = [autocannon, "-c", String(spec.connections), "-d", String(spec.seconds), "--json", "-m", spec.method ?? "GET"];
  for (const [name, value] of Object.entries(spec.headers)) args.push("-H", `${name}=${value}`);
  if (spec.body) args.push("-b", new TextDecoder().decode(spec.body));
  args.push(spec.url);
  const { stdout } = await run(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 });
  const result = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    "2xx": number;
    non2xx: number;
    errors: number;
    timeouts: number;
  };
  return {
    ok: result["2xx"],
    failed: result.non2xx + result.errors + result.timeouts,
    perSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}
