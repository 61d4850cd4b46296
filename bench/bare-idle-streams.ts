// The floor under the idle fan-out's heap figure: a bare connect-node server
// whose DaemonService.Subscribe handler only waits for its call to end, fed by
// the same bench/fanout-daemons.ts (10 streams per connection) as the real
// server in bench/launch-path.ts. Prints the heap and RSS per idle stream after
// a full GC; BENCH_HEAP_SNAPSHOT=DIR also writes heap snapshots before and after
// the streams open (compare them with bench/heap-diff.mjs).
//
//   node --expose-gc --import tsx bench/bare-idle-streams.ts 1000
import http2 from "node:http2";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeHeapSnapshot } from "node:v8";
import type { ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { DaemonService } from "../gen/workspaces/v1/daemon_service_pb.js";
import { spawnUntilReady } from "./spawn-until-ready.js";

const count = Number(process.argv[2] ?? 1000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("bench/bare-idle-streams.ts needs --expose-gc");
const snapshots = process.env.BENCH_HEAP_SNAPSHOT;
let open = 0;
const subscribe: ServiceImpl<typeof DaemonService>["subscribe"] = async function* (_req, ctx) {
  open++;
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
};
const handler = connectNodeAdapter({ routes: (router) => router.service(DaemonService, { subscribe }) });
const server = http2.createServer(handler);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as { port: number };
const dir = await mkdtemp(path.join(tmpdir(), "wsctl-bare-idle-"));
const tokensFile = path.join(dir, "tokens.json");
// The bare server checks no token: any string does.
await writeFile(tokensFile, JSON.stringify(Array.from({ length: count }, (_, i) => `t${i}`)));

function memory(name: string) {
  gc!();
  gc!();
  if (snapshots) writeHeapSnapshot(path.join(snapshots, `bare-${name}.heapsnapshot`));
  return process.memoryUsage();
}
const before = memory("before");
const fanout = await spawnUntilReady(
  ["--import", "tsx", "bench/fanout-daemons.ts", JSON.stringify({ server: `http://127.0.0.1:${port}`, tokensFile, count })],
  /opened \d+/,
);
while (open < count) await new Promise((resolve) => setTimeout(resolve, 100));
await new Promise((resolve) => setTimeout(resolve, 1000));
const after = memory("after");
const kib = (bytes: number) => Math.round((bytes / count / 1024) * 10) / 10;
console.log(JSON.stringify({ streams: count, heapKiBPerStream: kib(after.heapUsed - before.heapUsed), rssKiBPerStream: kib(after.rss - before.rss) }));
await fanout.stop();
server.close();
process.exit(0);
