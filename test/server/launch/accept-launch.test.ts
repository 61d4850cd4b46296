import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { acceptLaunch } from "../../../server/launch/accept-launch.js";
import { launchResult } from "../../../server/launch/launch-result.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { commandRequest, createLaunchRoom, type LaunchRoom, launchRequest } from "./launch-fixtures.js";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function sessionsOf(room: LaunchRoom, workspaceId = "ws") {
  return room.store.listSessions({ workspaceId, limit: 10 });
}

describe("acceptLaunch", () => {
  it("commits a pending session and its accepted event, and hands back a fresh command id and the request", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    const request = launchRequest({
      worktreeName: "feature-x",
      metadata: { ticket: 7 },
      sessionSettings: { code: { defaultProvider: "codex", providers: { codex: { model: "gpt-5", thinking: "high" } } } },
    });
    const launch = await room.accept(request);
    expect(launch.session).toMatchObject({ workspaceId: "ws", machineId: "m1", state: "pending", provider: "codex", model: "gpt-5", branch: "feature-x", metadata: { ticket: 7 } });
    expect(launch.session.sessionId).toMatch(uuid);
    expect(await room.store.getSessionById(launch.session.sessionId)).toEqual(launch.session);
    const history = await room.store.listSessionEvents(launch.session.sessionId, 0);
    expect(history.map((e) => [e.sequence, e.type, e.state, e.machineId])).toEqual([[1, "accepted", "pending", "m1"]]);
    expect(launch.acceptedSequence).toBe(1);
    expect(launch.commandId).toMatch(uuid);
    expect(commandRequest(launch)).toEqual(request);
    expect(launch.replay).toBeUndefined();
    expect(launch.claim).toBeUndefined();
    // Another launch (not into feature-x, which the first still holds) gets a command id of its own.
    expect((await room.accept(launchRequest())).commandId).not.toBe(launch.commandId);
  });

  it("rejects an invalid request with invalid_argument, storing nothing and leaving the key unclaimed", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    const bad = launchRequest({ sessionSettings: { code: { defaultProvider: "gemini" } } });
    await expectCode(room.accept(bad, "k"), Code.InvalidArgument);
    expect(await sessionsOf(room)).toEqual([]);
    expect(await room.keys.claim(room.principal.tokenId, "k", bad)).toMatchObject({ kind: "claimed" });
  });

  it("claims the Idempotency-Key for the token and hands the claim on", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    const launch = await room.accept(launchRequest(), "k");
    expect(launch.claim).toEqual({ tokenId: "token-1", key: "k" });
  });

  it("replays a finished key's first result without resolving the machine or storing anything", async () => {
    const room = await createLaunchRoom();
    const daemon = room.daemon();
    const first = await room.accept(launchRequest(), "k");
    const result = launchResult(first.session, { status: "ok", payload: { pid: 4 } });
    await room.keys.complete(first.claim!, { result });
    await daemon.disconnect(); // resolving the machine now would answer unavailable
    const again = await room.accept(launchRequest(), "k");
    expect(again).toEqual({ session: first.session, commandId: "", waitMs: 0, acceptedSequence: 0, replay: result });
    expect(await sessionsOf(room)).toHaveLength(1);
    expect(await room.store.listSessionEvents(first.session.sessionId, 0)).toHaveLength(1);
  });

  it("answers not_found for a replay whose session is gone", async () => {
    const room = await createLaunchRoom();
    const claimed = await room.keys.claim("token-1", "k", launchRequest());
    if (claimed.kind !== "claimed") throw new Error("expected a claim");
    await room.keys.complete(claimed.claim, { result: { status: "ok", payload: { session_id: "s-gone" } } });
    await expectCode(room.accept(launchRequest(), "k"), Code.NotFound, /session of this Idempotency-Key is gone/);
  });

  it("answers aborted for a key whose first call is still in progress, starting nothing", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    await room.accept(launchRequest(), "k");
    await expectCode(room.accept(launchRequest(), "k"), Code.Aborted, /still in progress/);
    expect(await sessionsOf(room)).toHaveLength(1);
  });

  it("answers invalid_argument for a key used with another request, starting nothing", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    await room.accept(launchRequest(), "k");
    await expectCode(room.accept(launchRequest({ initialPrompt: "something else" }), "k"), Code.InvalidArgument, /different request/);
    expect(await sessionsOf(room)).toHaveLength(1);
  });

  const principal = { kind: "api" as const, tokenId: "token-1", workspaceIds: new Set(["ws", "bare"]), scopes: new Set(["sessions" as const]) };
  it.each([
    {
      failure: "the machine is offline",
      code: Code.Unavailable,
      request: launchRequest(),
      fix: async (room: LaunchRoom) => void room.daemon(),
    },
    {
      failure: "the named machine does not exist",
      code: Code.NotFound,
      request: launchRequest({ machineId: "m2" }),
      fix: async (room: LaunchRoom) => {
        await room.store.createMachine({ machineId: "m2", workspaceId: "ws", makeDefault: false, now: 1 });
        room.daemon({ machineId: "m2" });
      },
    },
    {
      failure: "the workspace has no default machine",
      code: Code.FailedPrecondition,
      request: launchRequest({ workspaceId: "bare" }),
      fix: async (room: LaunchRoom) => {
        await room.store.createMachine({ machineId: "b1", workspaceId: "bare", makeDefault: true, now: 1 });
        room.daemon({ machineId: "b1" });
      },
    },
  ])("gives the key back when $failure, storing nothing, so a retry runs", async ({ code, request, fix }) => {
    const room = await createLaunchRoom();
    await room.store.createWorkspace("bare", 1);
    const accept = () => acceptLaunch(room.acceptDeps, principal, request, { idempotencyKey: "k", signal: new AbortController().signal });
    await expectCode(accept(), code);
    expect([...(await sessionsOf(room)), ...(await sessionsOf(room, "bare"))]).toEqual([]);
    await fix(room);
    const retried = await accept();
    expect(retried.replay).toBeUndefined();
    expect(retried.claim).toEqual({ tokenId: "token-1", key: "k" });
    expect(await room.store.getSessionById(retried.session.sessionId)).toMatchObject({ state: "pending" });
  });

  it("gives the key back when the accept cannot be stored, so a retry runs instead of answering aborted forever", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    const acceptInStore = room.store.acceptLaunch.bind(room.store);
    room.store.acceptLaunch = async () => {
      throw new ConnectError("database error (session)", Code.Internal);
    };
    await expectCode(room.accept(launchRequest(), "k"), Code.Internal, /database error \(session\)/);
    room.store.acceptLaunch = acceptInStore;
    const retried = await room.accept(launchRequest(), "k");
    expect(retried.claim).toEqual({ tokenId: "token-1", key: "k" });
    expect(await sessionsOf(room)).toEqual([retried.session]);
  });

  it("reuses a finished session: resumes its stored agent session and starts it over without its old acknowledgement", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    const old = await room.addSession({
      sessionId: "s-old",
      state: "exited",
      agentSessionId: "agent-1",
      exitCode: 0,
      pid: 0,
      workDir: "/w",
      errorMessage: "earlier",
      acknowledgement: { status: "ok", payload: { session_id: "s-old", agent_session_id: "agent-1" } },
    });
    const launch = await room.accept(launchRequest({ userSessionId: "s-old" }));
    expect(commandRequest(launch)?.resumeSessionId).toBe("agent-1");
    expect(commandRequest(launch)?.userSessionId).toBe("s-old");
    const stored = await room.store.getSessionById("s-old");
    // Not the exit code: SessionPatch cannot clear one yet (an undefined field keeps its value), so the last run's stays.
    expect(stored).toMatchObject({ sessionId: "s-old", state: "pending", agentSessionId: "", workDir: "", errorMessage: "", createdAt: old.createdAt });
    expect(stored?.acknowledgement).toBeUndefined();
    expect(launch.session).toEqual(stored);
    expect(await sessionsOf(room)).toHaveLength(1);
    const [accepted] = await room.store.listSessionEvents("s-old", 0);
    expect(accepted).toMatchObject({ type: "accepted", state: "pending", message: "reusing the session" });
  });

  it("keeps a resume_session_id the caller gave, and sets none for a reused session that had no agent session", async () => {
    const room = await createLaunchRoom();
    room.daemon();
    await room.addSession({ sessionId: "s-a", state: "exited", agentSessionId: "agent-1" });
    await room.addSession({ sessionId: "s-b", state: "failed", agentSessionId: "" });
    expect(commandRequest(await room.accept(launchRequest({ userSessionId: "s-a", resumeSessionId: "agent-mine" })))?.resumeSessionId).toBe("agent-mine");
    expect(commandRequest(await room.accept(launchRequest({ userSessionId: "s-b" })))?.resumeSessionId).toBeUndefined();
  });

  it("answers not_found for another workspace, as for one that does not exist, storing nothing", async () => {
    const room = await createLaunchRoom();
    await room.store.createWorkspace("other", 1);
    await room.store.createMachine({ machineId: "o1", workspaceId: "other", makeDefault: true, now: 1 });
    room.daemon({ machineId: "o1" });
    await expectCode(room.accept(launchRequest({ workspaceId: "other" })), Code.NotFound, /workspace other not found/);
    expect(await sessionsOf(room, "other")).toEqual([]);
  });
});
