import { randomUUID } from "node:crypto";
import { create, type JsonObject, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type LaunchWorkspaceSessionRequest,
  LaunchWorkspaceSessionRequestSchema,
  SessionSettingsSchema,
} from "../../gen/workspaces/v1/launch_pb.js";
import type { PermissionPolicy } from "../../gen/workspaces/v1/permission_pb.js";
import type { Principal } from "../auth/principal.js";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import type { SessionEventBus } from "../sessions/create-session-event-bus.js";
import type { SessionRecord, Store } from "../store/store.js";
import { validateLaunchRequest } from "../validation/validate-launch-request.js";
import type { IdempotencyClaim, IdempotencyKeys } from "./create-idempotency-keys.js";
import type { KeyLock } from "./create-key-lock.js";
import type { LaunchResult } from "./launch-result.js";
import { resolveLaunchTarget } from "./resolve-launch-target.js";

/** A launch that passed every check and whose session row is committed. */
export interface AcceptedLaunch {
  session: SessionRecord;
  /** The id of the launch command to push (a fresh one per launch). */
  commandId: string;
  /** The request as the daemon gets it (a reuse fills in `resume_session_id`). */
  request: LaunchWorkspaceSessionRequest;
  /** Sequence of the session's `accepted` event of this launch (0 for a replay). */
  acceptedSequence: number;
  /** Set when an earlier call with the same Idempotency-Key already finished: its result. */
  replay?: LaunchResult;
  /** The Idempotency-Key this launch claimed, to store its outcome under. */
  claim?: IdempotencyClaim;
  /** The permission policy the launch command carries (absent for a replay). */
  permission?: PermissionPolicy;
}

export interface AcceptDeps {
  store: Store;
  hub: DaemonHub;
  events: SessionEventBus;
  keys: IdempotencyKeys;
  now: () => number;
  /**
   * Held from the worktree check to the committed session row, per workspace
   * and worktree name, so two launches into one worktree on this replica
   * cannot both pass the check. Default none.
   */
  worktreeLocks?: KeyLock;
}

/**
 * Accepts a launch: validates it (`invalid_argument`, nothing stored), replays
 * an Idempotency-Key's first outcome before anything else is looked at (the
 * machine may be offline by now, or the reused session running), resolves the
 * machine and the reused session, and commits the session row and its
 * `accepted` event. Throws before anything is stored when a check fails; gives
 * a claimed key back whenever it throws (a check, or the store failing before
 * the launch was accepted), so a retry runs again.
 */
export async function acceptLaunch(
  deps: AcceptDeps,
  principal: Principal & { kind: "api" },
  request: LaunchWorkspaceSessionRequest,
  options: { idempotencyKey?: string; signal: AbortSignal },
): Promise<AcceptedLaunch> {
  const { store, hub, keys } = deps;
  const { signal } = options;
  const plan = validateLaunchRequest(request);
  let claim: IdempotencyClaim | undefined;
  if (options.idempotencyKey !== undefined) {
    const found = await keys.claim(principal.tokenId, options.idempotencyKey, request);
    if (found.kind === "replay") {
      const session = await store.getSessionById(found.sessionId, signal);
      if (!session) throw new ConnectError("the session of this Idempotency-Key is gone", Code.NotFound);
      return { session, commandId: "", request, acceptedSequence: 0, replay: found.result };
    }
    claim = found.claim;
  }
  const release =
    plan.worktreeName !== undefined && plan.worktreeName !== ""
      ? await deps.worktreeLocks?.acquire(`${plan.workspaceId}\u0000${plan.worktreeName}`)
      : undefined;
  // Until the accepted event is stored nothing has started: a failure gives the key back.
  try {
    const target = await resolveLaunchTarget({ store, hub, principal, plan, signal });
    // The request goes to the daemon as it came, copied only when a reuse fills in what to resume:
    // resume must not depend on daemon memory, the server stored the agent session id.
    const resume = target.reused && request.resumeSessionId === undefined ? target.reused.agentSessionId : "";
    const launchRequest = resume ? create(LaunchWorkspaceSessionRequestSchema, { ...request, resumeSessionId: resume }) : request;
    const time = deps.now();
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
      metadata: plan.metadata,
      acknowledgement: undefined,
      initialPrompt: plan.prompt ?? "",
      settings: request.sessionSettings ? (toJson(SessionSettingsSchema, request.sessionSettings) as JsonObject) : undefined,
      // A new run's transcript starts over: the daemon numbers its entries from 0 again.
      transcriptLength: 0,
      // A new run has no stop asked for it yet.
      stoppedBy: "",
      stopTime: 0,
      updatedAt: time,
    };
    let session: SessionRecord;
    if (target.reused) {
      // A reuse starts the session over: the stored acknowledgement goes too.
      session = (await store.updateSession(target.reused.sessionId, { ...fields, acknowledgement: null }, signal)) ?? target.reused;
    } else {
      session = { sessionId: randomUUID(), workspaceId: plan.workspaceId, createdAt: time, ...fields };
      await store.createSession(session, signal);
    }
    // A key whose call never settles (a crash) is settled later from its session.
    if (claim) await store.bindIdempotencyKey(claim.tokenId, claim.key, session.sessionId);
    const accepted = await deps.events.append({
      sessionId: session.sessionId,
      type: "accepted",
      state: "pending",
      machineId: target.machineId,
      acknowledgement: undefined,
      exitCode: undefined,
      message: target.reused ? "reusing the session" : "",
      now: time,
    });
    return {
      session,
      commandId: randomUUID(),
      request: launchRequest,
      acceptedSequence: accepted.sequence,
      permission: target.permission,
      ...(claim ? { claim } : {}),
    };
  } catch (error) {
    if (claim) await keys.release(claim);
    throw error;
  } finally {
    release?.();
  }
}
