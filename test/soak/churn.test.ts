import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTerminalState } from "../../server/sessions/session-transitions.js";
import { openStore } from "../../server/store/open-store.js";
import type { Store } from "../../server/store/store.js";
import { auditLaunches, isAgentRunning, type LaunchAnswer, launchAnswer, listAllSessions, readAgentStarts } from "../e2e/harness/audit-launches.js";
import { allLaunchClients, type LaunchClient, type LaunchOutcome } from "../e2e/harness/protocol-clients.js";
import { repoRoot } from "../e2e/harness/spawn-wsctl.js";
import { type Fleet, startFleet } from "../e2e/harness/start-fleet.js";
import { testEngine } from "../e2e/harness/start-stack.js";
import { pollUntil } from "../support/poll-until.js";
import { mib, processUsage } from "./process-usage.js";
import { seededRandom } from "./seeded-random.js";
import { writeSoakReport } from "./soak-report.js";
import { startDaemonChaos } from "./start-daemon-chaos.js";
import { stopUntilDone } from "./stop-until-done.js";

// One `wsctl serve`, 50 `wsctl daemon`s (one machine each, each on its own git
// repository), 5,000 launches at concurrency 100 over every protocol, while a
// random daemon is SIGKILLed or SIGTERMed and started again every 2 s. Then,
// from the store and the stand-in agents' records: every launch answered once,
// no agent started twice, none alive behind an error answer, no session stuck,
// the server's memory and descriptors back near where they started.
const launches = Number(process.env.WSCTL_SOAK_LAUNCHES ?? 5000);
const concurrency = Number(process.env.WSCTL_SOAK_CONCURRENCY ?? 100);
const machines = Number(process.env.WSCTL_SOAK_DAEMONS ?? 50);
const seed = Number(process.env.WSCTL_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const reportFile = process.env.WSCTL_SOAK_REPORT ?? path.join(repoRoot, "test-results", `soak-${testEngine}.json`);
const launchDeadlineMs = 10_000;
/** Sweeps run every half deadline: a session without an owner is settled within both. */
const stuckAfterMs = launchDeadlineMs * 1.5 + 5_000;
/** Answers a launch may get under churn: the daemon was offline, or went away before it acknowledged. */
const expectedErrors = new Set(["unavailable", "deadline_exceeded"]);
/** Tolerances of the server's usage after the churn against before it (after a warm-up). */
const fdTolerance = 10;
const rssToleranceMiB = 128;

const random = seededRandom(seed);
let fleet: Fleet;
let clients: LaunchClient[];

/** Resolves true once `probe` holds, false after `timeoutMs`: what did not settle is counted, not thrown. */
async function settles(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  return pollUntil(probe, { timeoutMs, intervalMs: 200 }).then(
    () => true,
    () => false,
  );
}

/** How many times each value occurs. */
function count(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

const runningAgents = () => [...readAgentStarts(fleet.recordDir).values()].flat().filter((s) => isAgentRunning(s.pid));
const openSessions = async (store: Store) => (await listAllSessions(store, fleet.workspaceId)).filter((s) => !isTerminalState(s.state));

beforeAll(async () => {
  fleet = await startFleet({ machines, launchDeadlineMs, stopAgents: (i) => i % 2 === 0 });
  clients = allLaunchClients(fleet.url);
}, 180_000);

afterAll(async () => {
  for (const client of clients ?? []) client.close?.();
  // Agents a failed run left behind (held ones, adopted ones) must not outlive it.
  if (fleet) for (const start of runningAgents()) process.kill(start.pid, "SIGKILL");
  await fleet?.stop();
}, 60_000);

describe("soak: launch churn while daemons restart", () => {
  it(`answers ${launches} launches over ${machines} restarting daemons once each, doubles, orphans and strands none, and leaks nothing`, async () => {
    const wallStart = Date.now();
    const store = await openStore(fleet.database);
    try {
      // Warm-up: one launch per machine over each protocol, so the baseline has every code path loaded.
      for (const [i, daemon] of fleet.daemons.entries()) {
        const body = { machine_id: daemon.machineId, initial_prompt: `exit:0:0:warm-${i}`, metadata: { launch_tag: `warm-${i}` } };
        expect(await clients[i % clients.length]!.launch(fleet.workspaceId, body, fleet.apiToken)).toMatchObject({ kind: "ok", status: "ok" });
      }
      await pollUntil(async () => runningAgents().length === 0 && (await openSessions(store)).length === 0, { timeoutMs: 30_000, what: "the warm-up to end" });
      const before = processUsage(fleet.server.child.pid!);

      const chaos = startDaemonChaos(fleet, { random, everyMs: 2000, maxDownMs: 1500 });
      const answers: LaunchAnswer[] = [];
      const stops: Promise<string>[] = [];
      let held = 0;
      let worktrees = 0;
      let next = 0;
      const churnStart = Date.now();
      async function worker(): Promise<void> {
        while (next < launches) {
          const i = next++;
          const tag = `soak-${i}`;
          // One launch in five holds its agent until it is stopped; the others end themselves within 1.5 s.
          const hold = random.next() < 0.2;
          const worktree = random.next() < 0.1;
          if (hold) held++;
          if (worktree) worktrees++;
          const body = {
            machine_id: random.pick(fleet.daemons).machineId,
            initial_prompt: hold ? `hold:0:0:${tag}` : `exit:0:${random.between(200, 1500)}:${tag}`,
            metadata: { launch_tag: tag },
            ...(worktree ? { worktree_name: `soak-${i}` } : {}),
          };
          const outcome = await clients[i % clients.length]!.launch(fleet.workspaceId, body, fleet.apiToken).catch(
            (error: unknown): LaunchOutcome => ({ kind: "error", code: `thrown: ${(error as Error).message}`, message: "" }),
          );
          const answer = launchAnswer(tag, outcome);
          answers.push(answer);
          if (hold && answer.result === "ok") {
            const sessionId = answer.sessionId!;
            const after = random.between(300, 2000);
            stops.push(new Promise((r) => setTimeout(r, after)).then(() => stopUntilDone(fleet.url, fleet.apiToken, fleet.workspaceId, sessionId)));
          }
        }
      }
      await Promise.all(Array.from({ length: concurrency }, worker));
      const churnMs = Date.now() - churnStart;
      const stopAnswers = await Promise.all(stops);
      const { restarts } = await chaos.stop();

      // Settle: every daemon back, every agent gone, every end reported, every session terminal in bounded time.
      await fleet.waitAllOnline();
      const backAt = Date.now();
      await settles(() => runningAgents().length === 0, 60_000);
      await settles(() => fleet.daemons.every((d) => d.unreported() === 0), 30_000);
      await settles(async () => (await openSessions(store)).length === 0, stuckAfterMs);
      const settledMs = Date.now() - backAt;
      const stuck = await openSessions(store);
      const unreported = fleet.daemons.reduce((n, d) => n + d.unreported(), 0);
      const audit = await auditLaunches(store, fleet.workspaceId, answers, fleet.recordDir);
      const unexpected = answers.filter((a) => a.result !== "ok" && !expectedErrors.has(a.result));

      // Idle keep-alive connections of the callers close within seconds.
      const pid = fleet.server.child.pid!;
      await settles(() => processUsage(pid).fds <= before.fds + fdTolerance, 20_000);
      const after = processUsage(pid);

      writeSoakReport(
        {
          date: new Date().toISOString(),
          engine: testEngine,
          seed,
          daemons: machines,
          concurrency,
          protocols: clients.map((c) => c.name),
          wallMs: Date.now() - wallStart,
          churnMs,
          launches: answers.length,
          heldLaunches: held,
          worktreeLaunches: worktrees,
          answers: count(answers.map((a) => a.result)),
          stops: count(stopAnswers),
          restarts,
          agentsStarted: audit.starts,
          sessions: audit.sessions,
          doubled: audit.doubled,
          orphaned: audit.orphaned,
          stuck: stuck.length,
          unreported,
          settledMs,
          server: { rssBeforeMiB: mib(before.rssBytes), rssAfterMiB: mib(after.rssBytes), fdsBefore: before.fds, fdsAfter: after.fds },
          problems: [...audit.problems, ...stuck.map((s) => `session ${s.sessionId} is still ${s.state}`)].slice(0, 30),
        },
        reportFile,
      );

      expect(answers).toHaveLength(launches);
      expect(unexpected.slice(0, 10)).toEqual([]);
      expect(audit.problems.slice(0, 30)).toEqual([]);
      expect({ doubled: audit.doubled, orphaned: audit.orphaned, stuck: stuck.length, unreported }).toEqual({ doubled: 0, orphaned: 0, stuck: 0, unreported: 0 });
      expect(stopAnswers.filter((a) => a === "gave up")).toEqual([]);
      expect(restarts.SIGKILL + restarts.SIGTERM).toBeGreaterThanOrEqual(Math.min(10, Math.floor(churnMs / 4000)));
      expect(after.fds).toBeLessThanOrEqual(before.fds + fdTolerance);
      expect(mib(after.rssBytes - before.rssBytes)).toBeLessThanOrEqual(rssToleranceMiB);
    } finally {
      await store.close();
    }
  });
});
