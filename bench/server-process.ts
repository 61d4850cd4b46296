// The server under test of the launch benchmark, as a child process of its
// own: `startServer` on a seeded database with every default but the rate
// limits (far above the load, so the limiter's per-call work stays in the
// measurement without refusing anything) and logs (off). Prints one JSON line
// with its URL and pid. Run with `--expose-gc` and an IPC channel (`fork`):
// the message "memory" is answered with the process's memory after a full
// garbage collection; "snapshot:<path>" with a heap snapshot written there.
// Ends on SIGTERM.
//
//   fork("bench/server-process.ts", ['{"database":"/tmp/…/bench.db"}'], { execArgv: ["--expose-gc", "--import", "tsx"] })
import { writeHeapSnapshot } from "node:v8";
import { startServer } from "../server/start-server.js";

/** The process's memory, in bytes, after collecting everything collectable. */
export interface MemoryAfterGc {
  heapUsed: number;
  rss: number;
}

const { database } = JSON.parse(process.argv[2] ?? "{}") as { database: string };
const unlimited = { ratePerSecond: 1e9, burst: 1e9 };
const server = await startServer({
  host: "127.0.0.1",
  port: 0,
  database,
  limits: { perAddress: unlimited, perToken: unlimited },
  log: () => {},
});

const gc = (globalThis as { gc?: () => void }).gc;
process.on("message", (message) => {
  if (typeof message === "string" && message.startsWith("snapshot:")) {
    // A heap snapshot to the path given, for finding what a stream holds: answered with the path.
    gc?.();
    process.send?.(writeHeapSnapshot(message.slice("snapshot:".length)));
    return;
  }
  if (message !== "memory") return;
  if (!gc) throw new Error("bench/server-process.ts needs --expose-gc");
  // Twice: the first pass runs finalizers whose garbage the second collects.
  gc();
  gc();
  const { heapUsed, rss } = process.memoryUsage();
  process.send?.({ heapUsed, rss } satisfies MemoryAfterGc);
});
process.on("SIGTERM", () => {
  void server.close().finally(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
