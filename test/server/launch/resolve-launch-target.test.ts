import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { resolveLaunchTarget } from "../../../server/launch/resolve-launch-target.js";
import { validateLaunchRequest } from "../../../server/validation/validate-launch-request.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { createLaunchRoom, type LaunchRoom, launchRequest } from "./launch-fixtures.js";

/** The target without its permission policy (see the permission tests below). */
async function resolve(room: LaunchRoom, init: Parameters<typeof launchRequest>[0] = {}, workspaceIds = ["ws"]) {
  const { permission: _policy, ...target } = await resolvePolicy(room, init, workspaceIds);
  return target;
}

function resolvePolicy(room: LaunchRoom, init: Parameters<typeof launchRequest>[0] = {}, workspaceIds = ["ws"]) {
  return resolveLaunchTarget({
    store: room.store,
    hub: room.hub,
    principal: { ...room.principal, workspaceIds: new Set(workspaceIds) },
    plan: validateLaunchRequest(launchRequest(init)),
    signal: new AbortController().signal,
  });
}

/** A room with a second machine `m2` in `ws` and a workspace `other` with machine `o1`, every daemon connected. */
async function roomWithNeighbours(): Promise<LaunchRoom> {
  const room = await createLaunchRoom();
  await room.store.createMachine({ machineId: "m2", workspaceId: "ws", makeDefault: false, now: 1 });
  await room.store.createWorkspace("other", 1);
  await room.store.createMachine({ machineId: "o1", workspaceId: "other", makeDefault: true, now: 1 });
  for (const machineId of ["m1", "m2", "o1"]) room.daemon({ machineId });
  return room;
}

describe("resolveLaunchTarget", () => {
  it("takes the workspace's default machine when none is named", async () => {
    const room = await roomWithNeighbours();
    expect(await resolve(room)).toEqual({ machineId: "m1" });
  });

  it("takes the named machine over the default", async () => {
    const room = await roomWithNeighbours();
    expect(await resolve(room, { machineId: "m2" })).toEqual({ machineId: "m2" });
  });

  it("takes a reused session's machine over the default, and the named one over the reused session's", async () => {
    const room = await roomWithNeighbours();
    const reused = await room.addSession({ sessionId: "s-old", machineId: "m2", state: "exited" });
    expect(await resolve(room, { userSessionId: "s-old" })).toEqual({ machineId: "m2", reused });
    expect(await resolve(room, { userSessionId: "s-old", machineId: "m1" })).toEqual({ machineId: "m1", reused });
  });

  it("answers not_found for a workspace of another token exactly as for one that does not exist", async () => {
    const room = await roomWithNeighbours();
    const foreign = await expectCode(resolve(room, { workspaceId: "other" }), Code.NotFound);
    const missing = await expectCode(resolve(room, { workspaceId: "nope" }, ["nope"]), Code.NotFound);
    expect(foreign.rawMessage).toBe("workspace other not found");
    expect(missing.rawMessage).toBe("workspace nope not found");
  });

  it("answers not_found for an unknown user session and failed_precondition for one still running", async () => {
    const room = await roomWithNeighbours();
    await expectCode(resolve(room, { userSessionId: "s-none" }), Code.NotFound, /user session s-none not found/);
    await room.addSession({ sessionId: "s-live", state: "running" });
    await expectCode(resolve(room, { userSessionId: "s-live" }), Code.FailedPrecondition, /still running; stop it before reusing it/);
  });

  it("answers not_found for a session of another workspace, which the token cannot see", async () => {
    const room = await roomWithNeighbours();
    await room.addSession({ sessionId: "s-other", workspaceId: "other", machineId: "o1", state: "exited" });
    await expectCode(resolve(room, { userSessionId: "s-other" }), Code.NotFound);
  });

  it("answers failed_precondition when the workspace has no default machine and none is named", async () => {
    const room = await roomWithNeighbours();
    await room.store.createWorkspace("bare", 1);
    await expectCode(resolve(room, { workspaceId: "bare" }, ["bare"]), Code.FailedPrecondition, /workspace bare has no default machine; pass machine_id/);
  });

  it("answers not_found for an unknown machine and for a machine of another workspace, online or not", async () => {
    const room = await roomWithNeighbours();
    await expectCode(resolve(room, { machineId: "ghost" }), Code.NotFound, /machine ghost not found/);
    expect(await room.hub.isOnline("o1")).toBe(true);
    await expectCode(resolve(room, { machineId: "o1" }), Code.NotFound, /machine o1 not found/);
  });

  it("answers unavailable at once, naming the machine, when no daemon is connected", async () => {
    const room = await createLaunchRoom();
    await expectCode(resolve(room), Code.Unavailable, /machine m1 is offline/);
  });

  it("checks in the contract's order: workspace, then reused session, then machine, then presence", async () => {
    const room = await createLaunchRoom(); // m1 offline
    await room.addSession({ sessionId: "s-live", state: "running" });
    // A foreign workspace wins over everything else that is wrong.
    await expectCode(resolve(room, { workspaceId: "other", userSessionId: "s-live", machineId: "ghost" }), Code.NotFound, /workspace/);
    // A running reused session wins over an unknown machine and an offline one.
    await expectCode(resolve(room, { userSessionId: "s-live", machineId: "ghost" }), Code.FailedPrecondition);
    await expectCode(resolve(room, { userSessionId: "s-live" }), Code.FailedPrecondition);
    // An unknown machine wins over being offline.
    await expectCode(resolve(room, { machineId: "ghost" }), Code.NotFound, /machine ghost/);
  });

  it("answers failed_precondition naming the live session that holds a worktree, before the daemon is asked", async () => {
    const room = await roomWithNeighbours();
    await room.addSession({ sessionId: "s-busy", state: "running", branch: "feat-x" });
    await room.addSession({ sessionId: "s-done", state: "exited", branch: "feat-done" });
    await room.addSession({ sessionId: "s-m2", machineId: "m2", state: "running", branch: "feat-m2" });
    const error = await expectCode(resolve(room, { worktreeName: "feat-x" }), Code.FailedPrecondition);
    expect(error.rawMessage).toBe(
      "worktree feat-x on machine m1 is in use by session s-busy (running); stop it first, or reuse that session with user_session_id once it has finished",
    );
    for (const state of ["pending", "dispatched", "unknown"] as const) {
      await room.addSession({ sessionId: `s-${state}`, state, branch: `feat-${state}` });
      await expectCode(resolve(room, { worktreeName: `feat-${state}` }), Code.FailedPrecondition, new RegExp(`session s-${state} \\(${state}\\)`));
    }
    // A finished session's worktree, another machine's and another name are free.
    expect(await resolve(room, { worktreeName: "feat-done" })).toEqual({ machineId: "m1" });
    expect(await resolve(room, { worktreeName: "feat-m2" })).toEqual({ machineId: "m1" });
    expect(await resolve(room, { worktreeName: "feat-y" })).toEqual({ machineId: "m1" });
    // Reusing the finished session that held it is no conflict with itself.
    const reused = await resolve(room, { worktreeName: "feat-done", userSessionId: "s-done" });
    expect(reused.reused?.sessionId).toBe("s-done");
  });

  it("resolves the permission policy from the launch's mode and the workspace's settings", async () => {
    const room = await roomWithNeighbours();
    await room.store.updateWorkspacePermissions("ws", { defaultMode: "plan", approvalTimeoutMs: 30_000 });
    expect((await resolvePolicy(room)).permission).toMatchObject({ mode: "plan", defaultDecision: "deny" });
    const asked = await resolvePolicy(room, { sessionSettings: { code: { permissionMode: "bypass_permissions" } } });
    expect(asked.permission.mode).toBe("bypass_permissions");
    expect(asked.permission.approvalTimeout?.seconds).toBe(30n);
  });

  it("refuses a mode above the ceiling with permission_denied before the machine is looked at", async () => {
    const room = await roomWithNeighbours();
    await room.store.updateWorkspacePermissions("ws", { ceiling: "default" });
    await expectCode(
      resolve(room, { machineId: "ghost", sessionSettings: { code: { permissionMode: "accept_edits" } } }),
      Code.PermissionDenied,
      /ceiling is default/,
    );
  });
});
