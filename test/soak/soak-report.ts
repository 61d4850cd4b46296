import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SessionRecord } from "../../server/store/store.js";
import type { Fleet } from "../e2e/harness/start-fleet.js";

/** What a soak run tried and counted: printed, and written as JSON for the README. */
export interface SoakReport {
  /** When the run ended (ISO 8601). */
  date: string;
  engine: "sqlite" | "postgres";
  seed: number;
  daemons: number;
  concurrency: number;
  /** Protocols the launches went over, in turn. */
  protocols: string[];
  /** Whole test, from the fleet's start to the end of the checks. */
  wallMs: number;
  /** The churn itself: from the first launch to the last answer. */
  churnMs: number;
  launches: number;
  /** Launches whose agent runs until it is stopped (the rest end themselves). */
  heldLaunches: number;
  /** Launches with a fresh `worktree_name` (a `git worktree add` on the machine). */
  worktreeLaunches: number;
  /** Answers by result: `ok` or the error's code. */
  answers: Record<string, number>;
  /** One message per error code the launches were answered with (the first seen). */
  errorMessages: Record<string, string>;
  /** StopWorkspaceSession answers for held agents answered ok, by result. */
  stops: Record<string, number>;
  restarts: { SIGKILL: number; SIGTERM: number };
  agentsStarted: number;
  sessions: number;
  doubled: number;
  orphaned: number;
  stuck: number;
  /** Agents whose end a daemon still had not reported at the end. */
  unreported: number;
  /** From the last daemon back online to the last session terminal. */
  settledMs: number;
  /** The server process before the churn (after a warm-up) and after it settled: resident memory, V8 heap in use (its /metrics), descriptors. */
  server: { rssBeforeMiB: number; rssAfterMiB: number; heapBeforeMiB: number; heapAfterMiB: number; fdsBefore: number; fdsAfter: number;
    /** Descriptors after minus before, by target (socket, pipe, a file's path). */
    fdGrowth: Record<string, number>;
    /** Resident memory after every 1000 answers, during the churn. */
    rssEvery1000MiB: number[];
  };
  /** The first broken promises the audit found (empty when all held). */
  problems: string[];
}

/** Prints `report` as one summary and writes it to `file` as JSON. */
export function writeSoakReport(report: SoakReport, file: string): void {
  const { server: s } = report;
  console.log(
    [
      `soak (${report.engine}, seed ${report.seed}): ${report.launches} launches at concurrency ${report.concurrency} over ${report.daemons} daemons in ${report.churnMs} ms (wall ${report.wallMs} ms)`,
      `  protocols ${report.protocols.join(", ")}; held ${report.heldLaunches}, with a new worktree ${report.worktreeLaunches}`,
      `  answers ${JSON.stringify(report.answers)}; stops ${JSON.stringify(report.stops)}`,
      ...Object.entries(report.errorMessages).map(([code, message]) => `  ${code}: ${message}`),
      `  daemon restarts ${report.restarts.SIGKILL + report.restarts.SIGTERM} (SIGKILL ${report.restarts.SIGKILL}, SIGTERM ${report.restarts.SIGTERM})`,
      `  agents started ${report.agentsStarted}, sessions ${report.sessions}, doubled ${report.doubled}, orphaned ${report.orphaned}, stuck ${report.stuck}, unreported ${report.unreported}, settled in ${report.settledMs} ms`,
      `  server rss ${s.rssBeforeMiB} -> ${s.rssAfterMiB} MiB, (during ${s.rssEvery1000MiB.join(", ")}), heap used ${s.heapBeforeMiB} -> ${s.heapAfterMiB} MiB, fds ${s.fdsBefore} -> ${s.fdsAfter} (${JSON.stringify(s.fdGrowth)})`,
      ...report.problems.map((p) => `  problem: ${p}`),
    ].join("\n"),
  );
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

/** For a failed run: the server's log and the logs of every daemon run of the machines of `sessions` (stuck, orphaned…), one file each in `dir`. */
export function writeFleetLogs(fleet: Fleet, sessions: readonly SessionRecord[], dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "server.log"), fleet.server.stderr() + fleet.server.stdout());
  const machines = new Set(sessions.map((s) => s.machineId));
  for (const daemon of fleet.daemons) {
    if (machines.has(daemon.machineId)) writeFileSync(path.join(dir, `${daemon.machineId}.log`), daemon.logs());
  }
  console.log(`soak: logs of the server and of ${machines.size} machine(s) in ${dir}`);
}
