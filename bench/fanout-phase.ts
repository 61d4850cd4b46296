// The idle fan-out of the launch benchmark: for each number of subscribed
// daemons, the server's memory after a full GC and gRPC launch throughput,
// measured without the idle daemons, with them (bench/fanout-daemons.ts, a
// process of its own), and without them again, so the ratio compares
// neighbouring measurements.
import path from "node:path";
import type { BenchStack } from "./bench-stack.js";
import { readServerCounts } from "./launch-counts.js";
import type { Sample } from "./launch-rows.js";
import { spawnUntilReady } from "./spawn-until-ready.js";
import { waitForOnline } from "./wait-for-online.js";

export interface FanoutSample {
  /** Idle daemons besides the bench daemon. */
  daemons: number;
  /** Streams the server still held after the launch run with them (daemons + 1 when none was dropped). */
  heldAfter: number;
  /** Seconds from sending the Subscribe calls to the server holding every stream. */
  subscribeSeconds: number;
  heapBytesPerDaemon: number;
  rssBytesPerDaemon: number;
  without: Sample[];
  with?: Sample;
  /** Why the sample is not a measurement: the server never held every stream, or dropped some. */
  error?: string;
  /** Launch throughput with the idle daemons ÷ the mean of the two runs without. */
  throughputRatio: number;
}

/**
 * Opens `daemons` idle Subscribe streams, measures, and closes them again
 * (waiting until the server has let them go). When the server does not come
 * to hold them all, or drops some, the sample says so in `error` rather than
 * throwing, so the rest of the run is kept.
 */
export async function measureFanout(stack: BenchStack, daemons: number, measureLaunch: () => Promise<Sample>): Promise<FanoutSample> {
  const before = await measureLaunch();
  const idle = await stack.memory();
  // BENCH_HEAP_SNAPSHOT=DIR: heap snapshots of the server before and after the streams open (bench/heap-diff.mjs compares them).
  const snapshots = process.env.BENCH_HEAP_SNAPSHOT;
  if (snapshots) await stack.snapshot(path.join(snapshots, `server-${daemons}-before.heapsnapshot`));
  const started = performance.now();
  const fanout = await spawnUntilReady(
    ["--import", "tsx", "bench/fanout-daemons.ts", JSON.stringify({ server: stack.url, tokensFile: stack.fanoutTokensFile, count: daemons })],
    /opened \d+/,
  );
  const sample: FanoutSample = { daemons, heldAfter: 0, subscribeSeconds: 0, heapBytesPerDaemon: 0, rssBytesPerDaemon: 0, without: [before], throughputRatio: 0 };
  try {
    await waitForOnline(stack.url, stack.apiToken, daemons + 1, 90_000);
    sample.subscribeSeconds = (performance.now() - started) / 1000;
    const loaded = await stack.memory();
    if (snapshots) await stack.snapshot(path.join(snapshots, `server-${daemons}-after.heapsnapshot`));
    sample.heapBytesPerDaemon = (loaded.heapUsed - idle.heapUsed) / daemons;
    sample.rssBytesPerDaemon = (loaded.rss - idle.rss) / daemons;
    sample.with = await measureLaunch();
    sample.heldAfter = (await readServerCounts(stack.url, stack.apiToken)).machinesOnline;
    if (sample.heldAfter !== daemons + 1) sample.error = `the server dropped ${daemons + 1 - sample.heldAfter} of the streams during the run`;
  } catch (error) {
    sample.error = (error as Error).message;
  } finally {
    await fanout.stop();
  }
  // The bench daemon reconnects when its stream was dropped too.
  await waitForOnline(stack.url, stack.apiToken, 1, 120_000).catch(() => undefined);
  const after = await measureLaunch();
  sample.without.push(after);
  if (sample.with) sample.throughputRatio = sample.with.perSecond / ((before.perSecond + after.perSecond) / 2);
  return sample;
}
