// The idle fan-out of the launch benchmark: for each number of subscribed
// daemons, the server's memory after a full GC and gRPC launch throughput,
// measured without the idle daemons, with them (bench/fanout-daemons.ts, a
// process of its own), and without them again, so the ratio compares
// neighbouring measurements.
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
  with: Sample;
  /** Launch throughput with the idle daemons ÷ the mean of the two runs without. */
  throughputRatio: number;
}

/** Opens `daemons` idle Subscribe streams, measures, and closes them again (waiting until the server has let them go). */
export async function measureFanout(stack: BenchStack, daemons: number, measureLaunch: () => Promise<Sample>): Promise<FanoutSample> {
  const before = await measureLaunch();
  const idle = await stack.memory();
  const started = performance.now();
  const fanout = await spawnUntilReady(
    ["--import", "tsx", "bench/fanout-daemons.ts", JSON.stringify({ server: stack.url, tokensFile: stack.fanoutTokensFile, count: daemons })],
    /opened \d+/,
  );
  try {
    await waitForOnline(stack.url, stack.apiToken, daemons + 1, 300_000);
    const subscribeSeconds = (performance.now() - started) / 1000;
    const loaded = await stack.memory();
    const during = await measureLaunch();
    const heldAfter = (await readServerCounts(stack.url, stack.apiToken)).machinesOnline;
    await fanout.stop();
    await waitForOnline(stack.url, stack.apiToken, 1, 120_000);
    const after = await measureLaunch();
    return {
      daemons,
      heldAfter,
      subscribeSeconds,
      heapBytesPerDaemon: (loaded.heapUsed - idle.heapUsed) / daemons,
      rssBytesPerDaemon: (loaded.rss - idle.rss) / daemons,
      without: [before, after],
      with: during,
      throughputRatio: during.perSecond / ((before.perSecond + after.perSecond) / 2),
    };
  } finally {
    await fanout.stop();
  }
}
