import { randomUUID } from "node:crypto";
import { create, type JsonObject, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type LaunchWorkspaceSessionRequest,
  LaunchWorkspaceSessionRequestSchema,
  SessionSettingsSchema,
} from "../../gen/workspaces/v1/launch_pb.js";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type DaemonCommand, DaemonCommandSchema } from "../../gen/workspaces/v1/daemon_service_pb.js";
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
  /** The id of the launch command (a fresh one per launch; "" for a replay). */
  commandId: string;
  /**
   * The launch command, stored with the session (a reuse fills in `resume_session_id`), for the
   * dispatch to push; undefined for a replay.
   */
  command?: DaemonCommand;
  /** How long the dispatch waits for the acknowledgement: the command's deadline is the accept time plus this. */
  waitMs: number;
  /** Sequence of the session's `accepted` event of this launch (0 for a replay). */
  acceptedSequence: number;
  /** Set when an earlier call with the same Idempotency-Key already finished: its result. */
  replay?: LaunchResult;
  /** The Idempotency-Key this launch claimed, to store its outcome under. */
  claim?: IdempotencyClaim;
}

/** The launch deadline when the caller gives none (`LauncherOptions.launchDeadlineMs`'s default). */
const defaultWaitMs = 15_000;

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
  options: {
    idempotencyKey?: string;
    signal: AbortSignal;
    /** How long the launch will wait for the acknowledgement (the command's deadline). Default 15 000 ms. */
    waitMs?: number;
    /** The call's request id, carried in the command for the daemon's logs. Default none. */
    requestId?: string;
  },
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
      return { session, commandId: "", waitMs: 0, acceptedSequence: 0, replay: found.result };
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
    const sessionId = target.reused?.sessionId ?? randomUUID();
    const commandId = randomUUID();
    const waitMs = options.waitMs ?? defaultWaitMs;
    const command = create(DaemonCommandSchema, {
      commandId,
      requestId: options.requestId ?? "",
      kind: {
        case: "launch",
        value: {
          sessionId,
          workspaceId: plan.workspaceId,
          request: launchRequest,
          deadline: timestampFromMs(time + waitMs),
          ...(target.permission ? { permission: target.permission } : {}),
        },
      },
    });
    // One transaction: the session (a reuse starts it over, its stored acknowledgement too), the key
    // bound to it (a key whose call never settles, a crash, is settled later from its session), the
    // `accepted` event and the command the dispatch pushes.
    const { session, event } = await store.acceptLaunch(
      {
        session: target.reused
          ? { reuse: sessionId, patch: { ...fields, acknowledgement: null } }
          : { create: { sessionId, workspaceId: plan.workspaceId, createdAt: time, ...fields } },
        idempotencyKey: claim ? { tokenId: claim.tokenId, key: claim.key } : undefined,
        event: {
          sessionId,
          type: "accepted",
          state: "pending",
          machineId: target.machineId,
          acknowledgement: undefined,
          exitCode: undefined,
          message: target.reused ? "reusing the session" : "",
          now: time,
        },
        command: { commandId, machineId: target.machineId, sessionId, kind: "launch", command, deadlineAt: time + waitMs, now: time },
      },
      signal,
    );
    deps.events.publish(event);
    return { session, commandId, command, waitMs, acceptedSequence: event.sequence, ...(claim ? { claim } : {}) };
  } catch (error) {
    if (claim) await keys.release(claim);
    throw error;
  } finally {
    release?.();
  }
}
