import { randomUUID, createHash } from "node:crypto";
import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type LaunchWorkspaceSessionRequest,
  LaunchWorkspaceSessionRequestSchema,
} from "../../gen/workspaces/v1/launch_pb.js";
import { DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { Principal } from "../auth/principal.js";
import type { DaemonAck, DaemonHub } from "../hub/daemon-hub.js";
import type { SessionRecord, Store } from "../store/store.js";
import type { SessionEventBus } from "../sessions/session-event-bus.js";
import { type LaunchResult, type SessionLifecycle, launchResult } from "../sessions/session-lifecycle.js";
import { validateLaunchRequest } from "../validation/validate-launch-request.js";
import { type LaunchTarget, resolveLaunchTarget } from "./resolve-launch-target.js";

export interface LauncherOptions {
  store: Store;
  hub: DaemonHub;
  events: SessionEventBus;
  lifecycle: SessionLifecycle;
  /** How long a launch waits for the daemon's acknowledgement, never past the caller's deadline. Default 15 000 ms. */
  launchDeadlineMs?: number;
  now?: () => number;
}

/** A launch that passed every check and whose session row is committed. */
export interface AcceptedLaunch {
  session: SessionRecord;
  commandId: string;
  request: LaunchWorkspaceSessionRequest;
  /** Sequence of the session's `accepted` event of this launch (0 for a replay). */
  acceptedSequence: number;
  /** Set when an earlier call with the same Idempotency-Key already finished: its result. */
  replay?: LaunchResult;
  /** The Idempotency-Key this launch claimed, to store its outcome under. */
  idempotency?: { tokenId: string; key: string };
}

/**
 * Launches sessions, in two steps so the streaming RPC can report between them:
 * `accept` checks everything and commits the session row (throwing before
 * anything is stored when a check fails); `dispatch` pushes the command to the
 * machine's daemon and awaits its acknowledgement.
 */
export interface Launcher {
  accept(principal: Principal & { kind: "api" }, request: LaunchWorkspaceSessionRequest, options: { idempotencyKey?: string; signal: AbortSignal }): Promise<AcceptedLaunch>;
  dispatch(launch: AcceptedLaunch, options: { signal: AbortSignal; timeoutMs?: number }): Promise<LaunchResult>;
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts; `promise` runs on either way. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  promise.catch(() => {});
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

/** What an Idempotency-Key keeps of the first call: its result, or the error it ended with. */
type StoredOutcome = { result?: LaunchResult; error?: { code: Code; message: string } };

const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

export function createLauncher(options: LauncherOptions): Launcher {
  const { store, hub, lifecycle } = options;
  const launchDeadlineMs = options.launchDeadlineMs ?? 15_000;
  const now = options.now ?? Date.now;

  async function claimKey(principal: Principal, key: string, request: LaunchWorkspaceSessionRequest) {
    if (!idempotencyKeyPattern.test(key)) {
      throw new ConnectError("Idempotency-Key must be 1-255 printable ASCII characters", Code.InvalidArgument);
    }
    const requestHash = createHash("sha256").update(toBinary(LaunchWorkspaceSessionRequestSchema, request)).digest("hex");
    const earlier = await store.claimIdempotencyKey({ tokenId: principal.tokenId, key, sessionId: "", requestHash, now: now() });
    if (!earlier) return undefined;
    if (earlier.requestHash !== requestHash) {
      throw new ConnectError("Idempotency-Key was already used with a different request", Code.InvalidArgument);
    }
    if (!earlier.responseJson) {
      throw new ConnectError("a request with this Idempotency-Key is still in progress", Code.Aborted);
    }
    const stored = JSON.parse(earlier.responseJson) as StoredOutcome;
    if (stored.error) throw new ConnectError(stored.error.message, stored.error.code);
    const result = stored.result as LaunchResult;
    return { sessionId: String(result.payload.session_id), result };
  }

  async function completeKey(idempotency: { tokenId: string; key: string }, outcome: StoredOutcome) {
    await store.completeIdempotencyKey(idempotency.tokenId, idempotency.key, JSON.stringify(outcome));
  }

  /**
   * Pushes the launch and waits for its acknowledgement. The caller gets the
   * result, or its own abort; `settled` resolves with the launch's outcome
   * either way (for the Idempotency-Key).
   */
  async function send(launch: AcceptedLaunch, signal: AbortSignal, timeoutMs: number | undefined): Promise<{ result: Promise<LaunchResult>; settled: Promise<StoredOutcome> }> {
    const { session, commandId } = launch;
    const command = create(DaemonCommandSchema, {
      commandId,
      kind: {
        case: "launch",
        value: { sessionId: session.sessionId, workspaceId: session.workspaceId, request: launch.request },
      },
    });
    const wait = Math.max(0, Math.min(launchDeadlineMs, timeoutMs ?? launchDeadlineMs));
    // The wait for the acknowledgement is the server's, bounded by the deadline
    // only: a caller who cancels leaves, but the session still ends acknowledged
    // or failed rather than dispatched forever.
    const acked = hub.waitForAck(commandId, AbortSignal.timeout(wait));
    acked.catch(() => {});
    if (!hub.send(session.machineId, command)) {
      const message = `machine ${session.machineId} is offline: no daemon is connected`;
      await lifecycle.failed(session, message);
      const error = new ConnectError(message, Code.Unavailable);
      return { result: Promise.reject(error), settled: Promise.resolve({ error: { code: error.code, message } }) };
    }
    await lifecycle.dispatched(session);
    const outcome = (async () => {
      let ack: DaemonAck;
      try {
        ack = await acked;
      } catch {
        // An acknowledgement that came right at the deadline is not lost.
        const stored = await store.getCommand(commandId);
        if (stored?.ackStatus) return launchResult(session, { status: stored.ackStatus, payload: JSON.parse(stored.ackPayloadJson) });
        const message = `machine ${session.machineId} did not acknowledge the launch within ${wait} ms`;
        await lifecycle.failed(session, message);
        throw new ConnectError(message, Code.DeadlineExceeded);
      }
      return lifecycle.acknowledged(session, ack);
    })();
    const settled = outcome.then(
      (result): StoredOutcome => ({ result }),
      (error: unknown): StoredOutcome => {
        const e = ConnectError.from(error);
        return { error: { code: e.code, message: e.rawMessage } };
      },
    );
    return { result: untilAborted(outcome, signal), settled };
  }

  return {
    async accept(principal, request, { idempotencyKey, signal }) {
      const plan = validateLaunchRequest(request);
      // A retry replays the first outcome before anything else is looked at:
      // the machine may be offline by now, or the reused session running.
      const idempotency = idempotencyKey !== undefined ? { tokenId: principal.tokenId, key: idempotencyKey } : undefined;
      if (idempotency) {
        const replay = await claimKey(principal, idempotency.key, request);
        if (replay) {
          const session = await store.getSessionById(replay.sessionId, signal);
          if (!session) throw new ConnectError("the session of this Idempotency-Key is gone", Code.NotFound);
          return { session, commandId: "", request, acceptedSequence: 0, replay: replay.result };
        }
      }
      let target: LaunchTarget;
      try {
        target = await resolveLaunchTarget({ store, hub, principal, plan, signal });
      } catch (error) {
        // Nothing was started: a retry with the key may run again.
        if (idempotency) await store.releaseIdempotencyKey(idempotency.tokenId, idempotency.key);
        throw error;
      }
      const launchRequest = create(LaunchWorkspaceSessionRequestSchema, request);
      if (target.reused && launchRequest.resumeSessionId === undefined && target.reused.agentSessionId) {
        // Resume must not depend on daemon memory: the server stored the agent session id.
        launchRequest.resumeSessionId = target.reused.agentSessionId;
      }
      const sessionId = target.reused?.sessionId ?? randomUUID();
      const time = now();
      const fields = {
        machineId: target.machineId,
        state: "pending" as const,
        provider: plan.provider,
        model: plan.model ?? "",
        agentSessionId: "",
        workDir: "",
        branch: plan.worktreeName ?? "",
        pid: 0,
        exitCode: undefined,
        errorMessage: "",
        metadataJson: JSON.stringify(plan.metadata),
        requestJson: toJsonString(LaunchWorkspaceSessionRequestSchema, launchRequest),
        ackJson: "",
        updatedAt: time,
      };
      let session: SessionRecord;
      if (target.reused) {
        session = (await store.updateSession(target.reused.sessionId, fields, signal)) ?? target.reused;
      } else {
        session = { sessionId, workspaceId: plan.workspaceId, createdAt: time, ...fields };
        await store.createSession(session, signal);
      }
      const accepted = await options.events.append({
        sessionId,
        type: "accepted",
        state: "pending",
        machineId: target.machineId,
        ackJson: "",
        exitCode: undefined,
        message: target.reused ? "reusing the session" : "",
        now: time,
      });
      const commandId = randomUUID();
      await store.createCommand({ commandId, machineId: target.machineId, sessionId, kind: "launch", now: time });
      return { session, commandId, request: launchRequest, acceptedSequence: accepted.sequence, ...(idempotency ? { idempotency } : {}) };
    },

    async dispatch(launch, { signal, timeoutMs }) {
      if (launch.replay) return launch.replay;
      const { result, settled } = await send(launch, signal, timeoutMs);
      const { idempotency } = launch;
      if (!idempotency) return result;
      // Stored when the launch settles, even if this caller has gone; a caller
      // still here gets its answer once a retry would find it.
      const stored = settled
        .then((outcome) => completeKey(idempotency, outcome))
        .catch(() => store.releaseIdempotencyKey(idempotency.tokenId, idempotency.key).catch(() => {}));
      try {
        return await result;
      } finally {
        if (!signal.aborted) await stored;
      }
    },
  };
}
