import type { PermissionDecisionName, Store } from "../store/store.js";
import type { Approvals } from "./create-approvals.js";

export interface ApprovalReconcilerOptions {
  store: Store;
  approvals: Pick<Approvals, "decide">;
  /** Time between sweeps: how late past its expiry a request may be decided. Default 1 000 ms. */
  intervalMs?: number;
  /** Requests decided per sweep, so one sweep stays short. Default 200. */
  batch?: number;
  log: (message: string, error?: unknown) => void;
  now: () => number;
}

export interface ApprovalReconciler {
  /** Decides every pending request past its expiry with its workspace's default decision; how many it decided. */
  sweep(): Promise<number>;
  /** Sweeps now and on the interval, on one timer, until `close()`. */
  start(): void;
  close(): void;
}

/** `1 min 30 s` for 90 000 ms: how a timeout reads in a decision's message. */
function describeMs(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
}

/**
 * Keeps every permission request from waiting forever: on one shared timer,
 * requests past their expiry get their workspace's default decision
 * (`decided_by` `timeout`), pushed to the agent like an answer. Any replica
 * may sweep: the store's guarded decision lets one decision win, whether it
 * is a sweep on another replica or an answer landing at the same moment.
 */
export function createApprovalReconciler(options: ApprovalReconcilerOptions): ApprovalReconciler {
  const { store, approvals, log, now } = options;
  const batch = options.batch ?? 200;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<number> | undefined;

  async function sweep(): Promise<number> {
    const defaults = new Map<string, PermissionDecisionName>();
    let decided = 0;
    for (const request of await store.listExpiredPermissionRequests(now(), batch)) {
      let decision = defaults.get(request.workspaceId);
      if (decision === undefined) {
        decision = (await store.getWorkspace(request.workspaceId))?.permissions.defaultDecision ?? "deny";
        defaults.set(request.workspaceId, decision);
      }
      const waited = describeMs(Math.max(0, request.expireAt - request.createdAt));
      const result = await approvals.decide({
        sessionId: request.sessionId,
        requestId: request.requestId,
        decision,
        decidedBy: "timeout",
        message: `nobody answered within ${waited}: the workspace's default decision (${decision}) applies`,
        remember: false,
        delivered: false,
        now: now(),
      });
      if (result?.decided) decided++;
    }
    if (decided > 0) log(`decided ${decided} permission request(s) nobody answered in time`);
    return decided;
  }

  const reconciler: ApprovalReconciler = {
    sweep() {
      sweeping ??= sweep().finally(() => {
        sweeping = undefined;
      });
      return sweeping;
    },
    start() {
      const run = () => {
        reconciler.sweep().catch((error: unknown) => log("deciding expired permission requests failed", error));
      };
      run();
      timer = setInterval(run, options.intervalMs ?? 1_000);
      timer.unref();
    },
    close() {
      clearInterval(timer);
    },
  };
  return reconciler;
}
