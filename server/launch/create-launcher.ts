import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { LaunchWorkspaceSessionRequest } from "../../gen/workspaces/v1/launch_pb.js";
import type { StopResult } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import type { Principal } from "../auth/principal.js";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import type { SessionEventBus } from "../sessions/create-session-event-bus.js";
import type { SessionLifecycle } from "../sessions/create-session-lifecycle.js";
import type { SessionEventRecord, SessionRecord, Store } from "../store/store.js";
import { type AcceptedLaunch, acceptLaunch } from "./accept-launch.js";
import { acknowledgeCommand } from "./acknowledge-command.js";
import { createAbandonedCommands } from "./create-abandoned-commands.js";
import { type ApprovalReconciler, createApprovalReconciler } from "./create-approval-reconciler.js";
import { type Approvals, createApprovals } from "./create-approvals.js";
import { createCommandSender } from "./create-command-sender.js";
import { createIdempotencyKeys } from "./create-idempotency-keys.js";
import { createLaunchReconciler, type LaunchReconciler } from "./create-launch-reconciler.js";
import { createKeyLock } from "./create-key-lock.js";
import { dispatchLaunch } from "./dispatch-launch.js";
import { followLaunch } from "./follow-launch.js";
import type { LaunchResult } from "./launch-result.js";
import { type SentMessage, sendSessionMessage } from "./send-session-message.js";
import { stopSession } from "./stop-session.js";

export interface LauncherOptions {
  store: Store;
  hub: DaemonHub;
  events: SessionEventBus;
  lifecycle: SessionLifecycle;
  /** How long a launch waits for the daemon's acknowledgement, never past the caller's deadline. Default 15 000 ms. */
  launchDeadlineMs?: number;
  /**
   * The shortest caller deadline a launch accepts: one that cannot cover the
   * round trip to the daemon is refused with `deadline_exceeded` before
   * anything is stored or pushed. Default 100 ms.
   */
  minLaunchMs?: number;
  /** How long a stop waits, past its grace, for the daemon's answer and then the final state. Default 10 000 ms. */
  stopSettleMs?: number;
  /** Time between sweeps for permission requests past their expiry. Default 1 000 ms. */
  approvalSweepMs?: number;
  /** Where failures nobody else hears of are reported (a key that could not be released). Default: stderr. */
  log?: (message: string, error?: unknown) => void;
  /** Clock, in Unix milliseconds. Default `Date.now`. */
  now?: () => number;
}

/** Options of one launch call. */
export interface LaunchCallOptions {
  /** The caller's Idempotency-Key header, if any. */
  idempotencyKey?: string | undefined;
  signal: AbortSignal;
  /** The caller's own deadline, in ms; the launch never waits past it. */
  timeoutMs?: number | undefined;
  /** The call's request id, carried in the launch command for the daemon's logs. Default none. */
  requestId?: string | undefined;
}

/**
 * The launch room: the whole life of a daemon command. `launch` is the unary
 * RPC (accept, then dispatch); `launchAndFollow` the streaming one; `stop`
 * sends a stop the same way; `acknowledge` takes the daemon's answers, late
 * ones included. See `accept-launch.ts`, `dispatch-launch.ts`,
 * `follow-launch.ts`, `stop-session.ts` and `acknowledge-command.ts`.
 */
export interface Launcher {
  /** Accepts and dispatches a launch; resolves with the daemon's acknowledgement as the launch result. */
  launch(principal: Principal & { kind: "api" }, request: LaunchWorkspaceSessionRequest, options: LaunchCallOptions): Promise<LaunchResult>;
  /**
   * Accepts a launch (throwing before the stream starts when a check fails),
   * then yields its events while it is dispatched, ending after the terminal
   * one; a dispatch failure ends it with the failure's error.
   */
  launchAndFollow(
    principal: Principal & { kind: "api" },
    request: LaunchWorkspaceSessionRequest,
    options: LaunchCallOptions,
  ): Promise<{ session: SessionRecord; events: AsyncIterable<SessionEventRecord> }>;
  /** Stops the session's agent; `stoppedBy` (the caller's token id) is recorded as who stopped it. */
  stop(
    session: SessionRecord,
    options: { graceMs: number; signal: AbortSignal; stoppedBy: string; requestId?: string | undefined },
  ): Promise<{ result: StopResult; session: SessionRecord }>;
  /** Delivers a follow-up message to the session's running agent (see `send-session-message.ts`). */
  sendMessage(
    principal: Principal & { kind: "api" },
    session: SessionRecord,
    text: string,
    options: { idempotencyKey?: string | undefined; signal: AbortSignal; requestId?: string | undefined },
  ): Promise<SentMessage>;
  acknowledge(machineId: string, ack: { commandId: string; status: string; payload: JsonObject }, signal: AbortSignal): Promise<void>;
  /** Waits until the launches in flight have settled, or `graceMs` has passed. */
  drain(graceMs: number): Promise<void>;
  /** Settles what crashed servers left unsettled, and stops orphaned agents of reconnecting daemons. */
  reconciler: LaunchReconciler;
  /** The agents' permission requests, their decisions and their delivery (see `create-approvals.ts`). */
  approvals: Approvals;
  /** Decides permission requests nobody answered in time; started with `reconciler`'s sweeps by the app. */
  approvalReconciler: ApprovalReconciler;
  /** Stops the background work: the reconcilers' sweeps and the retries of abandoned commands. */
  close(): void;
}

export function createLauncher(options: LauncherOptions): Launcher {
  const { store, hub, events, lifecycle } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((message, error) => console.error(message, error ?? ""));
  const keys = createIdempotencyKeys({ store, log, now });
  const sender = createCommandSender({ store, hub });
  const acceptDeps = { store, hub, events, keys, now, worktreeLocks: createKeyLock() };
  const abandoned = createAbandonedCommands({ store, lifecycle, log, now });
  const launching = new Map<string, SessionRecord>();
  const dispatchDeps = { store, sender, lifecycle, keys, abandoned, log, now, launching, launchDeadlineMs: options.launchDeadlineMs ?? 15_000 };
  const stopDeps = { store, hub, events, sender, lifecycle, settleMs: options.stopSettleMs ?? 10_000 };
  const reconciler = createLaunchReconciler({ store, lifecycle, keys, sender, log, now, launchDeadlineMs: dispatchDeps.launchDeadlineMs });
  const approvals = createApprovals({ store, lifecycle, sender, log, now });
  const approvalReconciler = createApprovalReconciler({
    store,
    approvals,
    log,
    now,
    ...(options.approvalSweepMs !== undefined ? { intervalMs: options.approvalSweepMs } : {}),
  });

  const minLaunchMs = options.minLaunchMs ?? 100;
  const inflight = new Set<Promise<unknown>>();
  function tracked<T>(promise: Promise<T>): Promise<T> {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    inflight.add(settled);
    void settled.finally(() => inflight.delete(settled));
    return promise;
  }
  const messageDeps = { store, hub, sender, keys, timeoutMs: options.launchDeadlineMs ?? 15_000 };

  function accept(principal: Principal & { kind: "api" }, request: LaunchWorkspaceSessionRequest, call: LaunchCallOptions) {
    if (call.timeoutMs !== undefined && call.timeoutMs < minLaunchMs) {
      const left = Math.max(0, Math.floor(call.timeoutMs));
      throw new ConnectError(
        `the caller's deadline (${left} ms left) cannot cover a launch's round trip to the daemon (at least ${minLaunchMs} ms)`,
        Code.DeadlineExceeded,
      );
    }
    return acceptLaunch(acceptDeps, principal, request, {
      signal: call.signal,
      // The acknowledgement is awaited up to the launch deadline, never past the caller's own.
      waitMs: Math.max(0, Math.min(dispatchDeps.launchDeadlineMs, call.timeoutMs ?? dispatchDeps.launchDeadlineMs)),
      ...(call.requestId !== undefined ? { requestId: call.requestId } : {}),
      ...(call.idempotencyKey !== undefined ? { idempotencyKey: call.idempotencyKey } : {}),
    });
  }

  return {
    async launch(principal, request, call) {
      const launch = await accept(principal, request, call);
      return tracked(dispatchLaunch(dispatchDeps, launch, call));
    },
    async launchAndFollow(principal, request, call) {
      const launch: AcceptedLaunch = await accept(principal, request, call);
      const dispatched = tracked(dispatchLaunch(dispatchDeps, launch, call));
      dispatched.catch(() => {}); // followLaunch reports it
      return { session: launch.session, events: followLaunch({ store, events }, launch, dispatched, call.signal) };
    },
    stop(session, call) {
      return stopSession(stopDeps, session, call);
    },
    reconciler,
    approvals,
    approvalReconciler,
    close() {
      reconciler.close();
      approvalReconciler.close();
      abandoned.close();
    },
    async drain(graceMs) {
      if (inflight.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([Promise.allSettled([...inflight]), grace]);
      clearTimeout(timer);
    },
    sendMessage(principal, session, text, call) {
      return sendSessionMessage(messageDeps, principal, session, text, call);
    },
    acknowledge(machineId, ack, signal) {
      return acknowledgeCommand({ store, hub, lifecycle, sender, abandoned, log, now, launching }, machineId, ack, signal);
    },
  };
}
