import { Code, ConnectError } from "@connectrpc/connect";
import type { PermissionPolicy } from "../../gen/workspaces/v1/permission_pb.js";
import type { Principal } from "../auth/principal.js";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import { assertTransition, liveStates } from "../sessions/session-transitions.js";
import type { SessionRecord, Store } from "../store/store.js";
import type { LaunchPlan } from "../validation/validate-launch-request.js";
import { resolvePermissionPolicy } from "./resolve-permission-policy.js";

/** Where a launch goes: the machine, and the session it reuses if any. */
export interface LaunchTarget {
  machineId: string;
  reused?: SessionRecord;
  /** How the agent handles permissions (see `resolvePermissionPolicy`). */
  permission: PermissionPolicy;
}

/**
 * Resolves the machine of a launch, in the contract's order: the workspace must
 * be the token's and exist (`not_found` either way, so existence never leaks);
 * the permission mode must be within the workspace's ceiling
 * (`permission_denied` naming it); a reused session must exist and have finished; the machine is the one named,
 * else the reused session's, else the workspace's default
 * (`failed_precondition` when there is none); it must be in the workspace
 * (`not_found`); a `worktree_name` must not be the worktree of another live
 * session there (`failed_precondition` naming it); and the machine must have a
 * daemon connected (`unavailable`, at once).
 */
export async function resolveLaunchTarget(input: {
  store: Store;
  hub: DaemonHub;
  principal: Principal & { kind: "api" };
  plan: LaunchPlan;
  signal: AbortSignal;
}): Promise<LaunchTarget> {
  const { store, hub, principal, plan, signal } = input;
  const workspace = principal.workspaceIds.has(plan.workspaceId) ? await store.getWorkspace(plan.workspaceId, signal) : undefined;
  if (!workspace) throw new ConnectError(`workspace ${plan.workspaceId} not found`, Code.NotFound);
  const permission = resolvePermissionPolicy(workspace, plan.permissionMode);

  let reused: SessionRecord | undefined;
  if (plan.userSessionId !== undefined) {
    reused = await store.getSession(plan.workspaceId, plan.userSessionId, signal);
    if (!reused) throw new ConnectError(`user session ${plan.userSessionId} not found`, Code.NotFound);
    assertTransition(reused.state, "reuse", `user session ${plan.userSessionId} is still ${reused.state}; stop it before reusing it`);
  }

  const machineId = plan.machineId ?? reused?.machineId ?? workspace.defaultMachineId;
  if (machineId === undefined) {
    throw new ConnectError(`workspace ${plan.workspaceId} has no default machine; pass machine_id`, Code.FailedPrecondition);
  }
  const machine = await store.getMachine(machineId, signal);
  if (!machine || machine.workspaceId !== plan.workspaceId) {
    throw new ConnectError(`machine ${machineId} not found`, Code.NotFound);
  }
  if (plan.worktreeName !== undefined && plan.worktreeName !== "") {
    await assertWorktreeFree(store, { machineId, workspaceId: plan.workspaceId, worktreeName: plan.worktreeName, reused, signal });
  }
  if (!(await hub.isOnline(machineId))) {
    throw new ConnectError(`machine ${machineId} is offline: no daemon is connected`, Code.Unavailable);
  }
  return reused ? { machineId, reused, permission } : { machineId, permission };
}

/**
 * At most one live session per worktree: throws `failed_precondition` naming
 * the session when another one of the workspace on that machine, not yet
 * finished, was launched into the same worktree (the reused session itself
 * does not count).
 */
async function assertWorktreeFree(
  store: Store,
  input: { machineId: string; workspaceId: string; worktreeName: string; reused: SessionRecord | undefined; signal: AbortSignal },
): Promise<void> {
  const live = await store.listSessionsOnMachine(input.machineId, liveStates, input.signal);
  const holder = live.find(
    (s) => s.workspaceId === input.workspaceId && s.branch === input.worktreeName && s.sessionId !== input.reused?.sessionId,
  );
  if (holder === undefined) return;
  throw new ConnectError(
    `worktree ${input.worktreeName} on machine ${input.machineId} is in use by session ${holder.sessionId} (${holder.state}); stop it first, or reuse that session with user_session_id once it has finished`,
    Code.FailedPrecondition,
  );
}
