import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { DaemonCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { SessionLifecycle } from "../sessions/create-session-lifecycle.js";
import type { IdempotentOutcome, SessionRecord, Store } from "../store/store.js";
import type { AcceptedLaunch } from "./accept-launch.js";
import type { AbandonedCommands } from "./create-abandoned-commands.js";
import type { CommandSender } from "./create-command-sender.js";
import type { IdempotencyKeys } from "./create-idempotency-keys.js";
import { type LaunchResult, launchResult } from "./launch-result.js";

export interface DispatchDeps {
  store: Store;
  sender: CommandSender;
  lifecycle: SessionLifecycle;
  keys: IdempotencyKeys;
  /** Where a launch goes whose failure the store could not record (its command is expired once it can). */
  abandoned: AbandonedCommands;
  log: (message: string, error?: unknown) => void;
  /** Clock, in Unix milliseconds. */
  now: () => number;
  /**
   * The sessions of the launches waiting for their acknowledgement, by command
   * id, as their dispatch last wrote them: the acknowledgement's move is
   * planned on this copy (see `acknowledgeCommand`). Kept here from the push
   * until the launch settles.
   */
  launching: Map<string, SessionRecord>;
}

/**
 * Pushes an accepted launch to its machine's daemon and awaits the
 * acknowledgement, bounded by the launch deadline (and the caller's own
 * deadline, `timeoutMs`). The caller gets the launch result, or a
 * `ConnectError`: `unavailable` when the daemon is gone, `deadline_exceeded`
 * when no acknowledgement came in time, or the store's error; every failure
 * first moves the session to `failed`. The wait is the server's: a caller who
 * cancels leaves (rejected with its signal's reason), but the session still
 * ends acknowledged or failed, and the Idempotency-Key still gets the outcome.
 */
export async function dispatchLaunch(
  deps: DispatchDeps,
  launch: AcceptedLaunch,
  options: { signal: AbortSignal },
): Promise<LaunchResult> {
  if (launch.replay) return launch.replay;
  if (!launch.command) throw new ConnectError("an accepted launch without its command", Code.Internal);
  const outcome = runLaunch(deps, launch, launch.command);
  const { claim } = launch;
  // Stored when the launch settles, even if this caller has gone; a caller
  // still here gets its answer once a retry would find it.
  const stored = claim
    ? outcome
        .then(
          (result): IdempotentOutcome => ({ result }),
          (error: unknown): IdempotentOutcome => {
            const e = ConnectError.from(error);
            return { error: { code: e.code, message: e.rawMessage } };
          },
        )
        .then((o) => deps.keys.complete(claim, o))
        .catch((error: unknown) => {
          deps.log(`storing the outcome of Idempotency-Key ${JSON.stringify(claim.key)} failed`, error);
          return deps.keys.release(claim);
        })
    : undefined;
  try {
    return await untilAborted(outcome, options.signal);
  } finally {
    if (stored && !options.signal.aborted) await stored;
  }
}

/**
 * The launch itself: push, wait, settle. The Acknowledge call applies an
 * acknowledgement to the session; this side only fails it, when the push or
 * the wait did not work out, and every failure moves the session to `failed`
 * before it is thrown.
 */
async function runLaunch(deps: DispatchDeps, launch: AcceptedLaunch, command: DaemonCommand): Promise<LaunchResult> {
  const { session, waitMs: wait } = launch;
  const { machineId, sessionId } = session;
  deps.launching.set(command.commandId, session);
  try {
    // Stored with the session by the accept: pushed, and its acknowledgement awaited.
    const sent = await deps.sender.send(machineId, command, {
      sessionId,
      kind: "launch",
      timeoutMs: wait,
      timeoutMessage: `machine ${machineId} did not acknowledge the launch within ${wait} ms`,
      stored: true,
    });
    if (!sent) {
      // The command is stored: a daemon subscribing before its deadline would get it.
      // Expire it first, so `unavailable` stays true (unless an acknowledgement already won).
      return await settle(deps, launch, new ConnectError(`machine ${machineId} is offline: no daemon is connected`, Code.Unavailable));
    }
    try {
      // Pushed: from here every failure (the store refusing `dispatched` too) must expire the command.
      // Written a turn behind the push: a synchronous store (SQLite) committing in this turn would hold
      // the command's bytes back until its commit. An ack that beats it wrote `dispatched` itself.
      let acknowledged = false;
      sent.ack.then(
        () => {
          acknowledged = true;
        },
        () => {},
      );
      await nextTurn();
      if (!acknowledged) {
        const dispatched = await deps.lifecycle.dispatched(session);
        if (dispatched && deps.launching.has(command.commandId)) deps.launching.set(command.commandId, dispatched);
      }
      return launchResult(session, await sent.ack);
    } catch (error) {
      return await settle(deps, launch, withSessionDetails(ConnectError.from(error), session));
    }
  } catch (error) {
    const e = ConnectError.from(error);
    try {
      await deps.lifecycle.failed(session, e.rawMessage);
    } catch (storeError) {
      deps.log(`recording the failure of session ${sessionId} failed`, storeError);
    }
    throw e;
  } finally {
    deps.launching.delete(command.commandId);
  }
}

/**
 * No acknowledgement in time, or no daemon at the push: the command's row decides
 * whether one came first after all (then it is the answer) or the server
 * gives up on it now (then `error` is thrown, and a daemon that gets the
 * command later answers it too late to start anything that is kept). When
 * the store cannot record the expiry either, the caller gets the store's
 * error (`unavailable`) and the command is left to `abandoned`, which
 * expires it before any acknowledgement of it is taken.
 */
async function settle(deps: DispatchDeps, launch: AcceptedLaunch, error: ConnectError): Promise<LaunchResult> {
  let settled: Awaited<ReturnType<Store["expireCommand"]>>;
  try {
    settled = await deps.store.expireCommand(launch.commandId, deps.now());
  } catch (storeError) {
    const refused = ConnectError.from(storeError);
    deps.abandoned.add(launch.commandId, launch.session, `${error.rawMessage}; then ${refused.rawMessage}`);
    throw withSessionDetails(refused, launch.session);
  }
  const ack = settled?.command;
  if (!settled?.expired && ack?.ackPayload !== undefined) return launchResult(launch.session, { status: ack.ackStatus, payload: ack.ackPayload });
  throw error;
}

/** The error with a `google.rpc.ErrorInfo` naming the session, so a caller told 504 can still find it. */
function withSessionDetails(error: ConnectError, session: AcceptedLaunch["session"]): ConnectError {
  const info = create(ErrorInfoSchema, {
    reason: error.code === Code.DeadlineExceeded ? "LAUNCH_DEADLINE_EXCEEDED" : "LAUNCH_FAILED",
    domain: "workspaces.v1",
    metadata: { session_id: session.sessionId, workspace_id: session.workspaceId, machine_id: session.machineId },
  });
  return new ConnectError(error.rawMessage, error.code, error.metadata, [{ desc: ErrorInfoSchema, value: info }], error.cause);
}

/** Resolves in the event loop's next check phase, after the I/O this turn queued (a push's frames) went out. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts; `promise` runs on either way. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
