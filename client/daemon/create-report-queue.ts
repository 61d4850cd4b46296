import { Code, ConnectError } from "@connectrpc/connect";
import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { callWithRetry } from "./call-with-retry.js";
import type { ReportStream } from "./create-report-stream.js";

/** One state report (what ReportSessionState takes). */
export interface StateReport {
  sessionId: string;
  state: SessionState;
  pid?: number;
  /** Absent when unknown. */
  exitCode?: number;
  message?: string;
}

/** What became of a report. */
export type ReportOutcome = "delivered" | "refused" | "kept";

/** Options of createReportQueue. */
export interface ReportQueueOptions {
  /** Where reports go: one attempt each, retried here while the failure is transient. */
  reportStream: ReportStream;
  log: (line: string) => void;
  /** The daemon's shutdown: stops retries (a running call is not cut short). */
  signal: AbortSignal;
  /** Attempts of each delivery (see callWithRetry); default 5. */
  attempts?: number;
}

/**
 * Delivers state reports so that none is lost while the server is down: a
 * report that cannot be delivered is kept and delivered by a later flush()
 * (runDaemon flushes on every subscription). Reports of one session are
 * delivered in the order they were sent.
 */
export interface ReportQueue {
  /**
   * Delivers `report`, retrying while the server is unreachable; if it stays
   * unreachable the report is kept ("kept"). `done` runs once the report is
   * delivered, or refused by the server for good (unknown session: "refused").
   */
  send(report: StateReport, done?: () => Promise<void> | void): Promise<ReportOutcome>;
  /** Keeps `report` without trying it: the next flush() delivers it. */
  keep(report: StateReport, done?: () => Promise<void> | void): void;
  /** Delivers the kept reports in order, stopping at the first that still cannot be delivered. */
  flush(): Promise<void>;
  /** Number of kept reports. */
  pending(): number;
}

interface Kept {
  report: StateReport;
  done?: () => Promise<void> | void;
}

// Answers that will not change by retrying: the report is dropped.
const final = new Set<Code>([Code.NotFound, Code.InvalidArgument, Code.FailedPrecondition]);

export function createReportQueue(options: ReportQueueOptions): ReportQueue {
  const { reportStream, log, signal } = options;
  const kept: Kept[] = [];
  const chains = new Map<string, Promise<unknown>>();
  let flushing: Promise<void> | undefined;
  let flushAgain = false;

  async function deliver(item: Kept, attempts: number): Promise<ReportOutcome> {
    const { report } = item;
    const what = `session ${report.sessionId} ${SessionState[report.state]}`;
    let outcome: ReportOutcome;
    try {
      await callWithRetry(() => reportStream.reportSessionState(report), { signal, attempts });
      outcome = "delivered";
    } catch (error) {
      const failure = ConnectError.from(error);
      if (!final.has(failure.code)) {
        log(`daemon: reporting ${what} failed (${Code[failure.code]}); kept to send after reconnecting`);
        return "kept";
      }
      log(`daemon: the server refused the report of ${what} (${Code[failure.code]}): ${failure.rawMessage}`);
      outcome = "refused";
    }
    try {
      await item.done?.();
    } catch (error) {
      log(`daemon: after reporting ${what}: ${(error as Error).message}`);
    }
    return outcome;
  }

  async function flushOnce(): Promise<void> {
    while (kept.length > 0) {
      const item = kept[0]!;
      const outcome = await deliver(item, 2);
      if (outcome === "kept") return;
      kept.shift();
    }
  }

  return {
    send(report, done) {
      const item: Kept = { report, done };
      const previous = chains.get(report.sessionId) ?? Promise.resolve();
      const result = previous.then(async (): Promise<ReportOutcome> => {
        // Behind a kept report of the same session: keep this one too, in order.
        if (kept.some((k) => k.report.sessionId === report.sessionId)) {
          kept.push(item);
          return "kept";
        }
        const outcome = await deliver(item, options.attempts ?? 5);
        if (outcome === "kept") kept.push(item);
        return outcome;
      });
      const settled = result.catch(() => undefined);
      chains.set(report.sessionId, settled);
      void settled.then(() => {
        if (chains.get(report.sessionId) === settled) chains.delete(report.sessionId);
      });
      return result;
    },
    keep(report, done) {
      kept.push({ report, done });
    },
    flush() {
      if (flushing !== undefined) {
        flushAgain = true;
        return flushing;
      }
      flushing = (async () => {
        do {
          flushAgain = false;
          await flushOnce();
        } while (flushAgain && kept.length > 0 && !signal.aborted);
      })().finally(() => {
        flushing = undefined;
      });
      return flushing;
    },
    pending: () => kept.length,
  };
}
