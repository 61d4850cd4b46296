// Everything the launch benchmark measures, started: a seeded SQLite database
// (workspace "ws"; machine "m" for the bench daemon, "real" for the real
// daemon, and `fanout` machines for the idle fan-out, each with its machine
// token; one API token), the server under test (bench/server-process.ts), the
// bench daemon on machine "m" (bench/bench-daemon.ts), online before this
// resolves, and the ceilings (bench/bare-servers-process.ts) answering with
// the response of a real launch. Each is its own process.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { createApiToken } from "../server/admin/create-api-token.js";
import { createMachine } from "../server/admin/create-machine.js";
import { createMachineToken } from "../server/admin/create-machine-token.js";
import { createWorkspace } from "../server/admin/create-workspace.js";
import { openAdminStore } from "../server/admin/open-admin-store.js";
import type { MemoryAfterGc } from "./server-process.js";
import { waitForOnline } from "./wait-for-online.js";
import { launchRequest } from "./launch-requests.js";
import { type ReadyChild, spawnUntilReady } from "./spawn-until-ready.js";

export const workspaceId = "ws";
export const benchMachine = "m";
export const realMachine = "real";

export interface BenchStack {
  url: string;
  apiToken: string;
  realMachineToken: string;
  /** File of the fan-out machines' tokens (a JSON array). */
  fanoutTokensFile: string;
  /** A session a launch created, for the GET row, and the GET row's body. */
  sessionId: string;
  bare: { connect: string; grpcJs: string; rawHttp: string };
  /** The server's memory after a full GC. */
  memory(): Promise<MemoryAfterGc>;
  /** Writes a heap snapshot of the server to `file` (for finding what an idle stream holds). */
  snapshot(file: string): Promise<void>;
  stop(): Promise<void>;
}

/** Seeds the database in `dir` with `fanout` extra machines and starts the processes. */
export async function startBenchStack(dir: string, fanout: number): Promise<BenchStack> {
  const database = path.join(dir, "bench.db");
  const store = await openAdminStore(database);
  const now = Date.now();
  let apiToken: string;
  let benchToken: string;
  let realMachineToken: string;
  const fanoutTokens: string[] = [];
  try {
    await createWorkspace(store, workspaceId, { now });
    await createMachine(store, { machineId: benchMachine, workspaceId, makeDefault: true, now });
    benchToken = (await createMachineToken(store, { machineId: benchMachine, now })).token;
    await createMachine(store, { machineId: realMachine, workspaceId, now });
    realMachineToken = (await createMachineToken(store, { machineId: realMachine, now })).token;
    for (let i = 0; i < fanout; i++) {
      await createMachine(store, { machineId: `f${i}`, workspaceId, now });
      fanoutTokens.push((await createMachineToken(store, { machineId: `f${i}`, now })).token);
    }
    apiToken = (await createApiToken(store, { workspaceIds: [workspaceId], now })).token;
  } finally {
    await store.close();
  }
  const fanoutTokensFile = path.join(dir, "fanout-tokens.json");
  await writeFile(fanoutTokensFile, JSON.stringify(fanoutTokens));

  const children: ReadyChild[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => c.stop()));
  };
  try {
    // BENCH_CPU_PROF=DIR: the server under test writes a V8 CPU profile there when it stops.
    const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const server = await spawnUntilReady([...profile, "--expose-gc", "--import", "tsx", "bench/server-process.ts", JSON.stringify({ database })], /\{"url":"[^"]+".*\}/, { ipc: true });
    children.push(server);
    const { url } = JSON.parse(server.match[0] ?? "") as { url: string };
    const daemonSpec = JSON.stringify([{ server: url, token: benchToken }]);
    // The bench daemon prints nothing: it is ready once the server reports its machine online.
    children.push(await spawnUntilReady(["--import", "tsx", "bench/bench-daemon.ts", daemonSpec], null));
    await waitForOnline(url, apiToken, 1);
    const sessionId = await firstLaunch(url, apiToken);
    const answer = await firstAnswer(url, apiToken);
    const getBody = await (await fetch(`${url}/api/v1/workspaces/${workspaceId}/sessions/${sessionId}`, { headers: { authorization: `Bearer ${apiToken}` } })).text();
    const bareChild = await spawnUntilReady(["--import", "tsx", "bench/bare-servers-process.ts", JSON.stringify({ answer, getBody })], /\{"connect":.*\}/);
    children.push(bareChild);
    const bare = JSON.parse(bareChild.match[0] ?? "") as BenchStack["bare"];
    const memory = () =>
      new Promise<MemoryAfterGc>((resolve) => {
        server.child.once("message", (m) => resolve(m as MemoryAfterGc));
        server.child.send("memory");
      });
    const snapshot = (file: string) =>
      new Promise<void>((resolve) => {
        server.child.once("message", () => resolve());
        server.child.send(`snapshot:${file}`);
      });
    return { url, apiToken, realMachineToken, fanoutTokensFile, sessionId, bare, memory, snapshot, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One REST launch on the bench daemon's machine, as a warm-up; returns its session id. */
async function firstLaunch(url: string, token: string): Promise<string> {
  const request = launchRequest("rest", workspaceId, benchMachine, token);
  const res = await fetch(url + request.path, { method: "POST", headers: request.headers, body: Buffer.from(request.body) });
  const body = (await res.json()) as { status?: string; payload?: { session_id?: string } };
  if (res.status !== 200 || body.status !== "ok" || !body.payload?.session_id) throw new Error(`the first launch answered ${res.status} ${JSON.stringify(body)}`);
  return body.payload.session_id;
}

/** One Connect JSON launch: its response (protobuf JSON) is the ceilings' constant answer. */
async function firstAnswer(url: string, token: string): Promise<unknown> {
  const request = launchRequest("connect-json", workspaceId, benchMachine, token);
  const res = await fetch(url + request.path, { method: "POST", headers: request.headers, body: Buffer.from(request.body) });
  const body = (await res.json()) as { status?: string };
  if (res.status !== 200 || body.status !== "ok") throw new Error(`the Connect launch answered ${res.status} ${JSON.stringify(body)}`);
  return body;
}
