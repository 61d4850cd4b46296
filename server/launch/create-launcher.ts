import { randomUUID, createHash } from "node:crypto";
import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type LaunchWorkspaceSessionRequest,
  LaunchWorkspaceSessionRequestSchema,
} from "../../gen/workspaces/v1/launch_pb.js";
import { DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { Principal } from "../auth/principal.js";
import type { DaemonHub } from "../hub/daemon-hub.js";
import type { SessionRecord, Store } from "../store/store.js";
import type { SessionEventBus } from "../sessions/session-event-bus.js";
import { type LaunchResult, type SessionLifecycle, launchResult } from "../sessions/session-lifecycle.js";
import { validateLaunchRequest } from "../validation/validate-launch-request.js";
import { resolveLaunchTarget } from "./resolve-launch-target.js";

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

/** What an Idempotency-Key keeps of the first call: its result, or the error it ended with. */
type StoredOutcome = { result?: LaunchResult; error?: { code: Code; message: string } };

const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

export function createLauncher(options: LauncherOptions): Launcher {
  const { store, hub, lifecycle } = options;
  const launchDeadlineMs = options.launchDeadlineMs ?? 15_000;
  const now = options.now ?? Date.now;

  async function claimKey(principal: Principal, key: string, request: LaunchWorkspaceSessionRequest, sessionId: string) {
    if (!idempotencyKeyPattern.test(key)) {
      throw new ConnectError("Idempotency-Key must be 1-255 printable ASCII characters", Code.InvalidArgument);
    }
    const requestHash = createHash("sha256").update(toBinary(LaunchWorkspaceSessionRequestSchema, request)).digest("hex");
    const earlier = await store.claimIdempotencyKey({ tokenId: principal.tokenId, key, sessionId, requestHash, now: now() });
    if (!earlier) return undefined;
    if (earlier.requestHash !== requestHash) {
      throw new ConnectError("Idempotency-Key was already used with a different request", Code.InvalidArgument);
    }
    if (!earlier.responseJson) {
      throw new ConnectError("a request with this Idempotency-Key is still in progress", Code.Aborted);
    }
    const stored = JSON.parse(earlier.responseJson) as StoredOutcome;
    if (stored.error) throw new ConnectError(stored.error.message, stored.error.code);
    return { sessionId: earlier.sessionId, result: stored.result as LaunchResult };
  }

  async function completeKey(idempotency: { tokenId: string; key: string }, outcome: StoredOutcome) {
    await store.completeIdempotencyKey(idempotency.tokenId, idempotency.key, JSON.stringify(outcome));
  }

  async function send(launch: AcceptedLaunch, signal: AbortSignal, timeoutMs: number | undefined): Promise<LaunchResult> {
    const { session, commandId } = launch;
    const command = create(DaemonCommandSchema, {
      commandId,
      kind: {
        case: "launch",
        value: { sessionId: session.sessionId, workspaceId: session.workspaceId, request: launch.request },
      },
    });
    const wait = Math.max(0, Math.min(launchDeadlineMs, timeoutMs ?? launchDeadlineMs));
    const deadline = AbortSignal.timeout(wait);
    const acked = hub.waitForAck(commandId, AbortSignal.any([signal, deadline]));
    acked.catch(() => {});
    if (!hub.send(session.machineId, command)) {
      const message = `machine ${session.machineId} is offline: no daemon is connected`;
      await lifecycle.failed(session, message);
      throw new ConnectError(message, Code.Unavailable);
    }
    await lifecycle.dispatched(session);
    try {
      return await lifecycle.acknowledged(session, await acked);
    } catch (err) {
      if (!deadline.aborted) throw err;
      // An acknowledgement that came right at the deadline is not lost.
      const stored = await store.getCommand(commandId);
      if (stored?.ackStatus) return launchResult(session, { status: stored.ackStatus, payload: JSON.parse(stored.ackPayloadJson) });
      const message = `machine ${session.machineId} did not acknowledge the launch within ${wait} ms`;
      await lifecycle.failed(session, message);
      throw new ConnectError(message, Code.DeadlineExceeded);
    }
  }

  return {
    async accept(principal, request, { idempotencyKey, signal }) {
      const plan = validateLaunchRequest(request);
      const target = await resolveLaunchTarget({ store, hub, principal, plan, signal });
      const launchRequest = create(LaunchWorkspaceSessionRequestSchema, request);
      if (target.reused && launchRequest.resumeSessionId === undefined && target.reused.agentSessionId) {
        // Resume must not depend on daemon memory: the server stored the agent session id.
        launchRequest.resumeSessionId = target.reused.agentSessionId;
      }
      const sessionId = target.reused?.sessionId ?? randomUUID();
      if (idempotencyKey !== undefined) {
        const replay = await claimKey(principal, idempotencyKey, request, sessionId);
        if (replay) {
          const session = await store.getSessionById(replay.sessionId, signal);
          if (!session) throw new ConnectError("session of this Idempotency-Key is gone", Code.NotFound);
          return { session, commandId: "", request: launchRequest, acceptedSequence: 0, replay: replay.result };
        }
      }
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
      const idempotency = idempotencyKey !== undefined ? { tokenId: principal.tokenId, key: idempotencyKey } : undefined;
      return { session, commandId, request: launchRequest, acceptedSequence: accepted.sequence, ...(idempotency ? { idempotency } : {}) };
    },

    async dispatch(launch, { signal, timeoutMs }) {
      if (launch.replay) return launch.replay;
      try {
        const result = await send(launch, signal, timeoutMs);
        if (launch.idempotency) await completeKey(launch.idempotency, { result });
        return result;
      } catch (err) {
        if (launch.idempotency && err instanceof ConnectError && err.code !== Code.Canceled) {
          await completeKey(launch.idempotency, { error: { code: err.code, message: err.rawMessage } });
        }
        throw err;
      }
    },
  };
}
