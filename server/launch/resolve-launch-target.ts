import { Code, ConnectError } from "@connectrpc/connect";
import type { Principal } from "../auth/principal.js";
import type { DaemonHub } from "../hub/create-daemon-hub.js";
import { assertTransition } from "../sessions/session-transitions.js";
import type { SessionRecord, Store } from "../store/store.js";
import type { LaunchPlan } from "../validation/validate-launch-request.js";

/** Where a launch goes: the machine, and the session it reuses if any. */
export interface LaunchTarget {
  machineId: string;
  reused?: SessionRecord;
}

/**
 * Resolves the machine of a launch, in the contract's order: the workspace must
 * be the token's and exist (`not_found` either way, so existence never leaks);
 * a reused session must exist and have finished; the machine is the one named,
 * else the reused session's, else the workspace's default
 * (`failed_precondition` when there is none); it must be in the workspace
 * (`not_found`) and have a daemon connected (`unavailable`, at once).
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
  if (!(await hub.isOnline(machineId))) {
    throw new ConnectError(`machine ${machineId} is offline: no daemon is connected`, Code.Unavailable);
  }
  return reused ? { machineId, reused } : { machineId };
}
