import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTerminalState } from "../../server/sessions/session-transitions.js";
import { openStore } from "../../server/store/open-store.js";
import type { Store } from "../../server/store/store.js";
import { auditLaunches, isStartRunning, type LaunchAnswer, launchAnswer, listAllSessions, readAgentStarts, sessionTag } from "../e2e/harness/audit-launches.js";
import { allLaunchClients, type LaunchClient, type LaunchOutcome } from "../e2e/harness/protocol-clients.js";
import { repoRoot } from "../e2e/harness/spawn-wsctl.js";
import { type Fleet, startFleet } from "../e2e/harness/start-fleet.js";
import { testEngine } from "../e2e/harness/start-stack.js";
import { pollUntil } from "../support/poll-until.js";
import { fdGrowth, mib, processUsage, serverHeapUsed } from "./process-usage.js";
import { seededRandom } from "./seeded-random.js";
import { writeFleetLogs, writeSoakReport } from "./soak-report.js";
import { startDaemonChaos } from "./start-daemon-chaos.js";
import { stopUntilDone } from "./stop-until-done.js";

// One `wsctl serve`, 50 `wsctl daemon`s (one machine each, each on its own git
// repository), 5,000 launches at concurrency 100 over every protocol, while a
// random daemon is SIGKILLed or SIGTERMed and started again every 3 s. Then,
// from the store and the stand-in agents' records: every launch answered once,
// no agent started twice, none alive behind an error answer, no session stuck,
// the server's memory and descriptors back near where they started.
const launches = Number(process.env.WSCTL_SOAK_LAUNCHES ?? 5000);
const concurrency = Number(process.env.WSCTL_SOAK_CONCURRENCY ?? 100);
const machines = Number(process.env.WSCTL_SOAK_DAEMONS ?? 50);
const seed = Number(process.env.WSCTL_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const reportFile = process.env.WSCTL_SOAK_REPORT ?? path.join(repoRoot, "test-results", `soak-${testEngine}.json`);
const logDir = path.join(path.dirname(reportFile), `soak-${testEngine}-logs`);
const launchDeadlineMs = 10_000;
/**
 * The daemons' startup window. A stand-in acknowledges `ok` at its `init`, written only after it
 * recorded itself; a window that runs out first (100 agents booting at once on two cores) answers
 * `ok` for a process that may be stopped before its first line ran, which leaves no record to
 * audit. So the window here is the upper bound it is meant to be, well within the deadline.
 */
const startupWindowMs = 6_000;
/** Sweeps run every half deadline: a session without an owner is settled within both. */
const stuckAfterMs = launchDeadlineMs * 1.5 + 5_000;
/** What the server may answer under churn: the daemon was offline, or went away before it acknowledged. */
const expectedRpcErrors = new Set(["unavailable", "deadline_exceeded"]);
/** Tolerances of the server's usage after the churn against before it (after a warm-up). */
// The heap is read without forcing a collection (garbage included); RSS also holds what V8 and the
// allocator keep once grown. A leak grows with the launches: RSS must level off in the second half.
const fdTolerance = 10;
const heapToleranceMiB = 96;
const rssToleranceMiB = 160;
const rssSecondHalfToleranceMiB = 64;
/** The server closes idle keep-alive connections after 60 s: the callers' pooled sockets are gone by then. */
const fdSettleMs = 75_000;

const random = seededRandom(seed);
let fleet: Fleet;
let clients: LaunchClient[];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

const runningAgents = () => [...readAgentStarts(fleet.recordDir).values()].flat().filter((s) => isStartRunning(s));
const openSessions = async (store: Store) => (await listAllSessions(store, fleet.workspaceId)).filter((s) => !isTerminalState(s.state));

beforeAll(async () => {
  fleet = await startFleet({ machines, launchDeadlineMs, startupWindowMs, stopAgents: (i) => i % 2 === 0 });
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
      const heapBefore = await serverHeapUsed(fleet.url, fleet.apiToken);

      const chaos = startDaemonChaos(fleet, { random, everyMs: 3000, maxDownMs: 1500 });
      const answers: LaunchAnswer[] = [];
      const stops: Promise<string>[] = [];
      // Stops of held agents retry while their machine is offline: through the churn, then for a minute after it.
      let stopsGiveUpAt = Number.POSITIVE_INFINITY;
      const rssSamples: number[] = [];
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
          if (answers.length % 1000 === 0) rssSamples.push(mib(processUsage(fleet.server.child.pid!).rssBytes));
          // A caller told the machine is offline tries again a little later, as a real one would.
          if (answer.result === "unavailable") await sleep(random.between(1000, 3000));
          if (hold && answer.result === "ok") {
            const sessionId = answer.sessionId!;
            const after = random.between(300, 2000);
            stops.push(sleep(after).then(() => stopUntilDone(fleet.url, fleet.apiToken, fleet.workspaceId, sessionId, { giveUpAt: () => stopsGiveUpAt })));
          }
        }
      }
      await Promise.all(Array.from({ length: concurrency }, worker));
      const churnMs = Date.now() - churnStart;
      const { restarts } = await chaos.stop();
      stopsGiveUpAt = Date.now() + 60_000;
      const stopAnswers = await Promise.all(stops);

      // Settle: every daemon back, every agent gone, every end reported, every session terminal in bounded time.
      await fleet.waitAllOnline();
      const backAt = Date.now();
      await settles(() => runningAgents().length === 0, 60_000);
      await settles(() => fleet.daemons.every((d) => d.unreported() === 0), 30_000);
      await settles(async () => (await openSessions(store)).length === 0, stuckAfterMs);
      const settledMs = Date.now() - backAt;
      const stuck = await openSessions(store);
      const unreported = fleet.daemons.reduce((n, d) => n + d.unreported(), 0);
      // A daemon may answer `error` (it could not start the agent in time on a starved machine): counted, and audited like every error.
      const audit = await auditLaunches(store, fleet.workspaceId, answers, fleet.recordDir, { acceptErrorAcks: true });
      const unexpected = answers.filter((a) => a.result !== "ok" && !a.acknowledged && !expectedRpcErrors.has(a.result));

      // The callers' pooled keep-alive connections: the HTTP/2 ones are closed here, the HTTP/1.1 ones idle out.
      for (const client of clients) client.close?.();
      const pid = fleet.server.child.pid!;
      await settles(() => processUsage(pid).fds <= before.fds + fdTolerance, fdSettleMs);
      const after = processUsage(pid);
      const heapAfter = await serverHeapUsed(fleet.url, fleet.apiToken);

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
          answers: count(answers.map((a) => (a.acknowledged ? `error ack: ${a.result}` : a.result))),
          errorMessages: Object.fromEntries(answers.filter((a) => a.result !== "ok").map((a) => [a.result, a.message ?? ""]).reverse()),
          stops: count(stopAnswers),
          restarts,
          agentsStarted: audit.starts,
          sessions: audit.sessions,
          doubled: audit.doubled,
          orphaned: audit.orphaned,
          stuck: stuck.length,
          unreported,
          settledMs,
          server: {
            rssBeforeMiB: mib(before.rssBytes),
            rssAfterMiB: mib(after.rssBytes),
            heapBeforeMiB: mib(heapBefore),
            heapAfterMiB: mib(heapAfter),
            fdsBefore: before.fds,
            fdsAfter: after.fds,
            fdGrowth: fdGrowth(before, after),
            rssEvery1000MiB: rssSamples,
          },
          problems: [...audit.problems, ...stuck.map((s) => `session ${s.sessionId} is still ${s.state}`)].slice(0, 30),
        },
        reportFile,
      );

      if (audit.problems.length > 0 || stuck.length > 0 || unexpected.length > 0) {
        // The machines of the launches the audit names, and of the stuck sessions.
        const named = (await listAllSessions(store, fleet.workspaceId)).filter((r) => audit.problems.some((p) => p.startsWith(`launch ${sessionTag(r)}:`)));
        writeFleetLogs(fleet, [...stuck, ...named], logDir);
      }
      expect(answers).toHaveLength(launches);
      expect(unexpected.slice(0, 10)).toEqual([]);
      expect(audit.problems.slice(0, 30)).toEqual([]);
      expect({ doubled: audit.doubled, orphaned: audit.orphaned, stuck: stuck.length, unreported }).toEqual({ doubled: 0, orphaned: 0, stuck: 0, unreported: 0 });
      expect(stopAnswers.filter((a) => a.startsWith("gave up"))).toEqual([]);
      expect(restarts.SIGKILL + restarts.SIGTERM).toBeGreaterThanOrEqual(Math.min(10, Math.floor(churnMs / 4000)));
      expect(after.fds).toBeLessThanOrEqual(before.fds + fdTolerance);
      expect(mib(heapAfter - heapBefore)).toBeLessThanOrEqual(heapToleranceMiB);
      expect(mib(after.rssBytes - before.rssBytes)).toBeLessThanOrEqual(rssToleranceMiB);
      const half = rssSamples[Math.floor(rssSamples.length / 2) - 1];
      if (half !== undefined) expect(mib(after.rssBytes) - half).toBeLessThanOrEqual(rssSecondHalfToleranceMiB);
    } finally {
      await store.close();
    }
  });
});
