import { Code } from "@connectrpc/connect";
import type { SessionLifecycle } from "../sessions/create-session-lifecycle.js";
import { isTerminalState } from "../sessions/session-transitions.js";
import type { Store } from "../store/store.js";
import type { CommandSender } from "./create-command-sender.js";
import type { IdempotencyKeys } from "./create-idempotency-keys.js";
import { orderedLaunchResult } from "./launch-result.js";
import { stopOrphan } from "./stop-orphan.js";

export interface LaunchReconcilerOptions {
  store: Store;
  lifecycle: SessionLifecycle;
  keys: IdempotencyKeys;
  sender: CommandSender;
  /** The launch deadline: nothing is settled before it could have been answered. */
  launchDeadlineMs: number;
  /** Time between sweeps. Default: half the launch deadline (at least 1 s). */
  intervalMs?: number;
  /** Rows settled per kind and sweep, so one sweep stays short. Default 200. */
  batch?: number;
  log: (message: string, error?: unknown) => void;
  now: () => number;
}

/** What one sweep settled. */
export interface SweepCounts {
  /** Commands unacknowledged past their deadline, now expired (their launches failed). */
  expiredCommands: number;
  /** Sessions left `pending` or `dispatched` with no command that could still settle them, now failed. */
  failedSessions: number;
  /** Idempotency-Keys of calls that never stored an outcome (a server crash), now completed or released. */
  settledKeys: number;
}

/**
 * Keeps every launch settled when the server that ran it is gone (a crash, a
 * SIGKILL): no session stays `pending`/`dispatched` without a live owner for
 * longer than the launch deadline, and no Idempotency-Key answers "still in
 * progress" forever. Sweeps at start and then every `intervalMs`; any replica
 * may sweep (every step is guarded in the store: the first of ack and expiry
 * wins, the transition table refuses a second failure). `reconcileMachine`
 * stops agents a reconnecting daemon still runs for sessions the server has
 * as finished.
 */
export interface LaunchReconciler {
  sweep(): Promise<SweepCounts>;
  /** Stops the agents of `running` (what a subscribing daemon reported) whose session is finished or unknown here. */
  reconcileMachine(machineId: string, running: readonly { sessionId: string }[]): Promise<number>;
  /** Sweeps now and on the interval until `close()`. */
  start(): void;
  close(): void;
}

export function createLaunchReconciler(options: LaunchReconcilerOptions): LaunchReconciler {
  const { store, lifecycle, keys, log, now } = options;
  const batch = options.batch ?? 200;
  const grace = options.launchDeadlineMs;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<SweepCounts> | undefined;

  async function expireOverdue(): Promise<number> {
    let expired = 0;
    for (const command of await store.listOverdueCommands(now(), batch)) {
      const settled = await store.expireCommand(command.commandId, now());
      if (!settled?.expired) continue;
      expired++;
      if (command.kind !== "launch") continue;
      const session = await store.getSessionById(command.sessionId);
      if (session) await lifecycle.failed(session, `machine ${command.machineId} did not acknowledge the launch before its deadline`);
    }
    return expired;
  }

  async function failStale(): Promise<number> {
    let failed = 0;
    // Older than twice the deadline: whatever pushed them is gone, and their command (if any) has expired.
    for (const session of await store.listStaleSessions(["pending", "dispatched"], now() - 2 * grace, batch)) {
      const moved = await lifecycle.failed(session, "the launch was not settled: the server that ran it went away");
      if (moved) failed++;
    }
    return failed;
  }

  async function settleKeys(): Promise<number> {
    let settled = 0;
    for (const key of await store.listUnfinishedIdempotencyKeys(now() - 2 * grace, batch)) {
      const claim = { tokenId: key.tokenId, key: key.key };
      const session = key.sessionId ? await store.getSessionById(key.sessionId) : undefined;
      if (!session) {
        // Nothing was started under this key: a retry may run again.
        await keys.release(claim);
      } else if (session.acknowledgement && session.acknowledgement.status !== "") {
        await keys.complete(claim, { result: orderedLaunchResult(session.acknowledgement) });
      } else if (isTerminalState(session.state)) {
        await keys.complete(claim, { error: { code: Code.DeadlineExceeded, message: session.errorMessage || "the launch failed" } });
      } else {
        continue;
      }
      settled++;
    }
    return settled;
  }

  async function sweep(): Promise<SweepCounts> {
    const expiredCommands = await expireOverdue();
    const failedSessions = await failStale();
    const settledKeys = await settleKeys();
    const counts = { expiredCommands, failedSessions, settledKeys };
    if (expiredCommands + failedSessions + settledKeys > 0) log(`reconciled launches: ${JSON.stringify(counts)}`);
    return counts;
  }

  const reconciler: LaunchReconciler = {
    sweep() {
      sweeping ??= sweep().finally(() => {
        sweeping = undefined;
      });
      return sweeping;
    },
    async reconcileMachine(machineId, running) {
      let stopped = 0;
      for (const r of running) {
        const session = await store.getSessionById(r.sessionId);
        if (session && session.machineId !== machineId) continue;
        if (!session) {
          log(`machine ${machineId} runs an agent for session ${r.sessionId}, which this server does not know; leaving it alone`);
          continue;
        }
        if (!isTerminalState(session.state)) continue;
        await stopOrphan({ sender: options.sender, log }, session, `which the server has as ${session.state}`);
        stopped++;
      }
      return stopped;
    },
    start() {
      const run = () => {
        reconciler.sweep().catch((error: unknown) => log("reconciling launches failed", error));
      };
      run();
      timer = setInterval(run, options.intervalMs ?? Math.max(1_000, Math.floor(grace / 2)));
      timer.unref();
    },
    close() {
      clearInterval(timer);
    },
  };
  return reconciler;
}
