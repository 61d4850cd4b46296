// Benchmark: unary calls per second through our layers, against raw Node `http`
// answering the same bytes, measured side by side in one run (absolute numbers
// drift on shared machines; the ratios are what to compare across changes).
//
//   npm run bench            # 3 rounds x 3 s per target
//   BENCH_ROUNDS=5 BENCH_SECONDS=5 npm run bench
//
// The load comes from autocannon in a child process (32 connections, HTTP/1.1
// keep-alive) so client and server do not share an event loop.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createApiToken } from "../server/admin/create-api-token.js";
import { createMachine } from "../server/admin/create-machine.js";
import { createWorkspace } from "../server/admin/create-workspace.js";
import { startServer } from "../server/start-server.js";

const run = promisify(execFile);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const autocannon = path.resolve(import.meta.dirname, "../node_modules/autocannon/autocannon.js");

const tmp = await mkdtemp(path.join(tmpdir(), "wsctl-bench-"));
// One address and one token send everything here: limits far above the load keep the
// limiter's per-call work in the measurement without refusing anything.
const unlimited = { ratePerSecond: 1e9, burst: 1e9 };
const server = await startServer({
  host: "127.0.0.1",
  port: 0,
  database: path.join(tmp, "bench.db"),
  limits: { perAddress: unlimited, perToken: unlimited },
  log: () => {},
});
const { store } = server;
const now = Date.now();
await createWorkspace(store, "ws", { now });
await createMachine(store, { machineId: "m", workspaceId: "ws", makeDefault: true, now });
const token = await createApiToken(store, { workspaceIds: ["ws"], now });
// The one session every call reads; no admin function makes sessions, so it goes in as a row.
await store.createSession({
  sessionId: "s1",
  workspaceId: "ws",
  machineId: "m",
  state: "running",
  provider: "claude_code",
  model: "haiku",
  agentSessionId: "a1",
  workDir: "/tmp/w",
  branch: "b",
  pid: 42,
  exitCode: undefined,
  errorMessage: "",
  metadata: {},
  acknowledgement: undefined,
  createdAt: now,
  updatedAt: now,
});

const auth = `Bearer ${token.token}`;
const restPath = "/api/v1/workspaces/ws/sessions/s1";
const restBody = await (await fetch(server.url + restPath, { headers: { authorization: auth } })).text();

// The baseline answers what the REST route answers, with no work at all.
const baseline = http.createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(restBody);
});
await new Promise<void>((resolve) => baseline.listen(0, "127.0.0.1", resolve));
const baselineUrl = `http://127.0.0.1:${(baseline.address() as { port: number }).port}`;

interface Target {
  name: string;
  args: string[];
}
const targets: Target[] = [
  { name: "raw node:http, same bytes (baseline)", args: [`${baselineUrl}${restPath}`] },
  { name: "REST GET session (auth, validation, store)", args: ["-H", `authorization=${auth}`, `${server.url}${restPath}`] },
  {
    name: "Connect JSON unary GetWorkspaceSession",
    args: [
      "-m",
      "POST",
      "-H",
      `authorization=${auth}`,
      "-H",
      "content-type=application/json",
      "-b",
      '{"workspaceId":"ws","sessionId":"s1"}',
      `${server.url}/workspaces.v1.WorkspaceSessionService/GetWorkspaceSession`,
    ],
  },
];

async function measure(target: Target): Promise<number> {
  const { stdout } = await run(process.execPath, [autocannon, "-c", "32", "-d", String(seconds), "--json", ...target.args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const result = JSON.parse(stdout) as { requests: { average: number }; non2xx: number; errors: number };
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
for (let round = 1; round <= rounds; round++) {
  for (const target of targets) samples.get(target.name)!.push(await measure(target));
  process.stderr.write(`round ${round}/${rounds} done\n`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(samples.get(targets[0]!.name)!);
console.log(`\n${"target".padEnd(46)} ${"req/s (median)".padStart(15)} ${"vs baseline".padStart(12)}`);
for (const target of targets) {
  const m = median(samples.get(target.name)!);
  console.log(`${target.name.padEnd(46)} ${m.toFixed(0).padStart(15)} ${(m / base).toFixed(2).padStart(12)}`);
}

baseline.close();
await server.close();
await rm(tmp, { recursive: true, force: true });
