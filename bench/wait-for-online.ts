// Waiting, with a deadline, for the server under test to hold a given number
// of daemon streams (its own wsctl_machines_online), polling its /metrics.
import { readServerCounts } from "./launch-counts.js";

/** Resolves once `url` reports exactly `count` machines online; rejects after `timeoutMs` (default 120 s) saying how many were. */
export async function waitForOnline(url: string, token: string, count: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let online = -1;
  while (Date.now() < deadline) {
    online = (await readServerCounts(url, token)).machinesOnline;
    if (online === count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server held ${online} daemon streams after ${timeoutMs / 1000} s, not ${count}`);
}
