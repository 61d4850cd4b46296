import type { Fleet, FleetDaemon } from "../e2e/harness/start-fleet.js";
import type { SeededRandom } from "./seeded-random.js";

/** What the chaos did. */
export interface ChaosCounts {
  /** Daemons killed and started again, by the signal that ended them. */
  restarts: { SIGKILL: number; SIGTERM: number };
}

export interface DaemonChaos {
  /** Ends the chaos; resolves once every daemon it stopped runs again. */
  stop(): Promise<ChaosCounts>;
}

export interface DaemonChaosOptions {
  /** Pause between two restarts. Default 2000 ms. */
  everyMs?: number;
  /** How long a killed daemon stays down, at most (at random from 0). Default 1500 ms. */
  maxDownMs?: number;
  random: SeededRandom;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every `everyMs`, picks a random running daemon of the fleet, ends it with
 * SIGKILL or SIGTERM (at random) and starts it again after a random pause,
 * while launches go on. Several daemons may be down at once.
 */
export function startDaemonChaos(fleet: Fleet, options: DaemonChaosOptions): DaemonChaos {
  const { random } = options;
  const everyMs = options.everyMs ?? 2000;
  const maxDownMs = options.maxDownMs ?? 1500;
  const counts: ChaosCounts = { restarts: { SIGKILL: 0, SIGTERM: 0 } };
  const pending = new Set<Promise<void>>();
  const down = new Set<FleetDaemon>();
  let stopped = false;

  async function restart(daemon: FleetDaemon, signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    down.add(daemon);
    try {
      await daemon.kill(signal);
      await sleep(random.between(0, maxDownMs));
      daemon.start();
      counts.restarts[signal]++;
    } finally {
      down.delete(daemon);
    }
  }

  const loop = (async () => {
    while (!stopped) {
      await sleep(everyMs);
      if (stopped) break;
      const up = fleet.daemons.filter((d) => d.process !== undefined && !down.has(d));
      if (up.length === 0) continue;
      const run = restart(random.pick(up), random.next() < 0.5 ? "SIGKILL" : "SIGTERM");
      pending.add(run);
      void run.finally(() => pending.delete(run));
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(pending);
      return counts;
    },
  };
}
