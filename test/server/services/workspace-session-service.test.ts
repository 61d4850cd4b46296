import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { SessionEventType, SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import {
  GetWorkspaceSessionRequestSchema,
  StopResult,
  WorkspaceSessionService,
} from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createWorkspaceSessionService } from "../../../server/services/workspace-session-service.js";
import { createInProcessApp, type InProcessApp, type InProcessAppOptions, type TestDaemon } from "../../support/in-process-app.js";
import { pollUntil } from "../../support/poll-until.js";
import { addOtherWorkspace, appSession, drain, handlerContext, rejection, violatedFields } from "./service-fixtures.js";

let env: InProcessApp;
afterEach(async () => {
  await env?.close();
});

async function app(options: InProcessAppOptions = {}) {
  env = await createInProcessApp(options);
  await addOtherWorkspace(env);
  return env;
}

const auth = () => ({ headers: env.headers() });
const launchRequest = (extra: Record<string, unknown> = {}) => ({ workspaceId: "ws", initialPrompt: "hi", ...extra });
const okDaemon = () => env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 42, agent_session_id: "agent-1" } }) });

/** A session launched on an acknowledging daemon, running. */
async function running(): Promise<{ sessionId: string; daemon: TestDaemon }> {
  const daemon = await okDaemon();
  const res = await env.sessions.launchWorkspaceSession(launchRequest(), auth());
  return { sessionId: String(res.payload?.session_id), daemon };
}

const types = (events: readonly { type: SessionEventType }[]) => events.map((e) => SessionEventType[e.type]);

describe("createWorkspaceSessionService", () => {
  it("answers unauthenticated to a call that reached it without a principal", async () => {
    await app();
    const service = createWorkspaceSessionService({ launcher: {} as never, sessions: {} as never });
    const ctx = handlerContext(WorkspaceSessionService, WorkspaceSessionService.method.getWorkspaceSession, undefined);
    const get = service.getWorkspaceSession(create(GetWorkspaceSessionRequestSchema, { workspaceId: "ws", sessionId: "s" }), ctx);
    await rejection(Promise.resolve(get), Code.Unauthenticated);
  });

  describe("launchWorkspaceSession", () => {
    it("launches on the default machine and answers the acknowledgement with our ids", async () => {
      await app();
      await okDaemon();
      const res = await env.sessions.launchWorkspaceSession(launchRequest(), auth());
      expect(res.status).toBe("ok");
      expect(res.payload).toMatchObject({ workspace_id: "ws", machine_id: "m1", pid: 42, agent_session_id: "agent-1" });
      expect(res).toMatchObject({ sessionId: res.payload?.session_id, machineId: "m1", pid: 42, agentSessionId: "agent-1" });
      expect(await env.store.getSessionById(String(res.payload?.session_id))).toMatchObject({ state: "running", pid: 42 });
    });

    it("answers an error acknowledgement as a result with status error, and fails the session", async () => {
      await app();
      await env.daemon({ autoAck: () => ({ status: "error", payload: { error: { code: "git_failed", message: "no repo" } } }) });
      const res = await env.sessions.launchWorkspaceSession(launchRequest(), auth());
      expect(res.status).toBe("error");
      expect(res.payload).toMatchObject({ machine_id: "m1", error: { code: "git_failed", message: "no repo" } });
      expect(res.error).toMatchObject({ code: "git_failed", message: "no repo" });
      expect(await env.store.getSessionById(String(res.payload?.session_id))).toMatchObject({ state: "failed", errorMessage: "git_failed: no repo" });
    });

    it("refuses an invalid request naming its fields, storing nothing", async () => {
      await app();
      await okDaemon();
      const bad = launchRequest({ sessionSettings: { code: { mode: "chat", providers: { codex: { thinking: "extreme" } } } } });
      expect(await violatedFields(env.sessions.launchWorkspaceSession(bad, auth()))).toEqual([
        "session_settings.code.mode",
        "session_settings.code.providers.codex.thinking",
      ]);
      expect(await env.store.listSessions({ workspaceId: "ws", limit: 5 })).toEqual([]);
    });

    it("answers not_found for another workspace and for a machine outside the workspace, unavailable for an offline one", async () => {
      await app();
      await env.addMachine("m-off");
      expect((await rejection(env.sessions.launchWorkspaceSession(launchRequest({ workspaceId: "ws-2" }), auth()), Code.NotFound)).rawMessage).toBe(
        "workspace ws-2 not found",
      );
      await rejection(env.sessions.launchWorkspaceSession(launchRequest({ machineId: "m-2" }), auth()), Code.NotFound);
      const offline = await rejection(env.sessions.launchWorkspaceSession(launchRequest({ machineId: "m-off" }), auth()), Code.Unavailable);
      expect(offline.rawMessage).toContain("machine m-off is offline");
    });

    it("waits for the acknowledgement no longer than the caller's own deadline", async () => {
      await app();
      await env.daemon();
      await rejection(env.sessions.launchWorkspaceSession(launchRequest(), { ...auth(), timeoutMs: 150 }), Code.DeadlineExceeded);
      // The server gave up too, well before its own 15 s launch deadline.
      const failed = await pollUntil(async () => (await env.store.listSessions({ workspaceId: "ws", state: "failed", limit: 1 }))[0], {
        timeoutMs: 1000,
        what: "the launch to fail on the server",
      });
      expect(failed.errorMessage).toMatch(/did not acknowledge the launch within (1[0-4]\d|150) ms/);
    });
  });

  describe("launchWorkspaceSessionStream", () => {
    it("streams the launch's events, the acknowledgement carrying the unary result, until the agent exits", async () => {
      await app();
      const daemon = await okDaemon();
      const seen: { type: SessionEventType; sequence: bigint }[] = [];
      for await (const event of env.sessions.launchWorkspaceSessionStream(launchRequest(), auth())) {
        seen.push(event);
        if (event.type === SessionEventType.ACKNOWLEDGED) {
          expect(event.acknowledgement?.status).toBe("ok");
          expect(event.acknowledgement?.payload).toMatchObject({ session_id: event.sessionId, machine_id: "m1", pid: 42 });
          expect(event.acknowledgement).toMatchObject({ sessionId: event.sessionId, machineId: "m1", pid: 42 });
          await daemon.report(event.sessionId, SessionState.EXITED, { exitCode: 0 });
        }
      }
      expect(types(seen)).toEqual(["ACCEPTED", "DISPATCHED", "ACKNOWLEDGED", "EXITED"]);
      expect(seen.map((e) => e.sequence)).toEqual([1n, 2n, 3n, 4n]);
    });

    it("fails before any event for another workspace, an invalid request, or an offline machine", async () => {
      await app();
      const stream = (extra: Record<string, unknown>) => drain(env.sessions.launchWorkspaceSessionStream(launchRequest(extra), auth()));
      for (const [extra, code] of [
        [{ workspaceId: "ws-2" }, Code.NotFound],
        [{ worktreeName: "bad name.." }, Code.InvalidArgument],
        [{}, Code.Unavailable],
      ] as const) {
        const { values, error } = await stream(extra);
        expect([values, error?.code]).toEqual([[], code]);
      }
    });
  });

  describe("watchWorkspaceSession", () => {
    it("replays a finished session's history after the given sequence and ends", async () => {
      await app();
      const { sessionId, daemon } = await running();
      await daemon.report(sessionId, SessionState.EXITED, { exitCode: 3 });
      const all = await drain(env.sessions.watchWorkspaceSession({ workspaceId: "ws", sessionId }, auth()));
      expect(types(all.values)).toEqual(["ACCEPTED", "DISPATCHED", "ACKNOWLEDGED", "EXITED"]);
      expect(all.values.at(-1)?.exitCode).toBe(3);
      const tail = await drain(env.sessions.watchWorkspaceSession({ workspaceId: "ws", sessionId, afterSequence: 2n }, auth()));
      expect(tail.values.map((e) => e.sequence)).toEqual([3n, 4n]);
    });

    it("keeps an idle watch alive with heartbeats and ends it with the terminal event", async () => {
      await app({ heartbeatMs: 10 });
      const { sessionId, daemon } = await running();
      const seen: { type: SessionEventType; sequence: bigint; state: SessionState }[] = [];
      for await (const event of env.sessions.watchWorkspaceSession({ workspaceId: "ws", sessionId }, auth())) {
        seen.push(event);
        if (event.type === SessionEventType.HEARTBEAT && seen.filter((e) => e.type === SessionEventType.HEARTBEAT).length === 2) {
          await daemon.report(sessionId, SessionState.FAILED, { message: "killed" });
        }
      }
      const beats = seen.filter((e) => e.type === SessionEventType.HEARTBEAT);
      expect(beats.length).toBeGreaterThanOrEqual(2);
      expect(beats.every((e) => e.sequence === 0n && e.state === SessionState.UNSPECIFIED)).toBe(true);
      expect(types(seen.filter((e) => e.sequence > 0n))).toEqual(["ACCEPTED", "DISPATCHED", "ACKNOWLEDGED", "FAILED"]);
      expect(seen.at(-1)?.type).toBe(SessionEventType.FAILED);
    });

    it("refuses an invalid request, another workspace, and a session that is not the workspace's", async () => {
      await app();
      await appSession(env, { sessionId: "s-ws2", workspaceId: "ws-2", machineId: "m-2", state: "running" });
      const watch = (req: { workspaceId: string; sessionId: string }) => drain(env.sessions.watchWorkspaceSession(req, auth()));
      expect((await watch({ workspaceId: "ws", sessionId: "" })).error?.code).toBe(Code.InvalidArgument);
      expect((await watch({ workspaceId: "ws-2", sessionId: "s-ws2" })).error?.rawMessage).toBe("workspace ws-2 not found");
      expect((await watch({ workspaceId: "ws", sessionId: "s-ws2" })).error?.rawMessage).toBe("session s-ws2 not found");
    });
  });

  describe("getWorkspaceSession", () => {
    it("returns the session as stored", async () => {
      await app();
      const { sessionId } = await running();
      const { session } = await env.sessions.getWorkspaceSession({ workspaceId: "ws", sessionId }, auth());
      expect(session).toMatchObject({ sessionId, workspaceId: "ws", machineId: "m1", state: SessionState.RUNNING, pid: 42, agentSessionId: "agent-1" });
      expect(session?.acknowledgement?.payload).toMatchObject({ session_id: sessionId });
    });

    it("refuses an invalid request, another workspace, and a session that is not the workspace's", async () => {
      await app();
      await appSession(env, { sessionId: "s-ws2", workspaceId: "ws-2", machineId: "m-2" });
      expect(await violatedFields(env.sessions.getWorkspaceSession({ workspaceId: "ws", sessionId: "" }, auth()))).toEqual(["session_id"]);
      await rejection(env.sessions.getWorkspaceSession({ workspaceId: "ws-2", sessionId: "s-ws2" }, auth()), Code.NotFound);
      await rejection(env.sessions.getWorkspaceSession({ workspaceId: "ws", sessionId: "s-ws2" }, auth()), Code.NotFound);
    });
  });

  describe("listWorkspaceSessions", () => {
    it("pages the workspace's sessions newest first, filtered by state and machine", async () => {
      await app();
      await env.addMachine("m3");
      for (const [i, state] of (["running", "exited", "running", "failed"] as const).entries()) {
        await appSession(env, { sessionId: `s-${i}`, state, createdAt: 10 + i, machineId: i === 2 ? "m3" : "m1" });
      }
      await appSession(env, { sessionId: "s-ws2", workspaceId: "ws-2", machineId: "m-2", createdAt: 99 });
      const first = await env.sessions.listWorkspaceSessions({ workspaceId: "ws", pageSize: 3 }, auth());
      expect(first.sessions.map((s) => s.sessionId)).toEqual(["s-3", "s-2", "s-1"]);
      const second = await env.sessions.listWorkspaceSessions({ workspaceId: "ws", pageSize: 3, pageToken: first.nextPageToken }, auth());
      expect([second.sessions.map((s) => s.sessionId), second.nextPageToken]).toEqual([["s-0"], ""]);
      const runningOnes = await env.sessions.listWorkspaceSessions({ workspaceId: "ws", state: SessionState.RUNNING }, auth());
      expect(runningOnes.sessions.map((s) => [s.sessionId, s.state])).toEqual([
        ["s-2", SessionState.RUNNING],
        ["s-0", SessionState.RUNNING],
      ]);
      const onM3 = await env.sessions.listWorkspaceSessions({ workspaceId: "ws", machineId: "m3" }, auth());
      expect(onM3.sessions.map((s) => s.sessionId)).toEqual(["s-2"]);
    });

    it("refuses invalid fields, a token it did not issue, and another workspace", async () => {
      await app();
      const list = (req: Record<string, unknown>) => env.sessions.listWorkspaceSessions({ workspaceId: "ws", ...req }, auth());
      expect(await violatedFields(list({ pageSize: 501, state: 42, machineId: "a b" }))).toEqual(["machine_id", "state", "page_size"]);
      expect((await rejection(list({ pageToken: "forged" }), Code.InvalidArgument)).rawMessage).toBe("page_token is not a token this server issued");
      await rejection(list({ workspaceId: "ws-2" }), Code.NotFound);
    });
  });

  describe("stopWorkspaceSession", () => {
    it("stops a running session with the default grace and answers once it is recorded stopped", async () => {
      await app();
      const { sessionId, daemon } = await running();
      const stopping = env.sessions.stopWorkspaceSession({ workspaceId: "ws", sessionId }, auth());
      const command = await daemon.nextCommand().then(() => daemon.nextCommand());
      expect(command.kind.case === "stop" && [command.kind.value.sessionId, command.kind.value.grace?.seconds]).toEqual([sessionId, 10n]);
      await daemon.acknowledge(command.commandId, "ok");
      await daemon.report(sessionId, SessionState.EXITED, { exitCode: 143 });
      const res = await stopping;
      expect(res.result).toBe(StopResult.STOPPED);
      expect(res.session).toMatchObject({ sessionId, state: SessionState.STOPPED, exitCode: 143, stoppedBy: env.apiTokenId });
    });

    it("waits for the exit of a reused session's new run, not the end of its earlier one", async () => {
      await app();
      const { sessionId, daemon } = await running();
      await daemon.report(sessionId, SessionState.EXITED, { exitCode: 0 });
      await env.sessions.launchWorkspaceSession(launchRequest({ userSessionId: sessionId }), auth());
      const stopping = env.sessions.stopWorkspaceSession({ workspaceId: "ws", sessionId, graceSeconds: 1 }, auth());
      const command = await pollUntil(() => daemon.commands.find((c) => c.kind.case === "stop"));
      await daemon.acknowledge(command.commandId, "ok");
      await daemon.report(sessionId, SessionState.EXITED, { exitCode: 143 });
      const res = await stopping;
      expect([res.result, res.session?.state, res.session?.exitCode]).toEqual([StopResult.STOPPED, SessionState.STOPPED, 143]);
    });

    it("lets a stopped session be launched again, its new run with no stop recorded", async () => {
      await app();
      const { sessionId, daemon } = await running();
      const stopping = env.sessions.stopWorkspaceSession({ workspaceId: "ws", sessionId, graceSeconds: 1 }, auth());
      const command = await pollUntil(() => daemon.commands.find((c) => c.kind.case === "stop"));
      await daemon.acknowledge(command.commandId, "ok");
      await daemon.report(sessionId, SessionState.EXITED, { exitCode: 0 });
      expect((await stopping).session?.state).toBe(SessionState.STOPPED);
      await env.sessions.launchWorkspaceSession(launchRequest({ userSessionId: sessionId }), auth());
      const got = await env.sessions.getWorkspaceSession({ workspaceId: "ws", sessionId }, auth());
      expect([got.session?.state, got.session?.stoppedBy, got.session?.stopTime]).toEqual([SessionState.RUNNING, "", undefined]);
      // Its agent's own end is an exit again.
      await daemon.report(sessionId, SessionState.EXITED, { exitCode: 0 });
      const ended = await env.sessions.getWorkspaceSession({ workspaceId: "ws", sessionId }, auth());
      expect(ended.session?.state).toBe(SessionState.EXITED);
    });

    it("answers ALREADY_EXITED for a finished session and MACHINE_OFFLINE when its daemon is gone, sending nothing", async () => {
      await app();
      const daemon = await env.daemon();
      await env.addMachine("m3");
      await appSession(env, { sessionId: "s-done", state: "exited", exitCode: 0 });
      await appSession(env, { sessionId: "s-live", state: "running", machineId: "m3" });
      const stop = (sessionId: string) => env.sessions.stopWorkspaceSession({ workspaceId: "ws", sessionId, graceSeconds: 1 }, auth());
      const done = await stop("s-done");
      expect([done.result, done.session?.state, done.session?.exitCode]).toEqual([StopResult.ALREADY_EXITED, SessionState.EXITED, 0]);
      const offline = await stop("s-live");
      expect([offline.result, offline.session?.state]).toEqual([StopResult.MACHINE_OFFLINE, SessionState.RUNNING]);
      expect(daemon.commands).toEqual([]);
    });

    it("answers internal when the daemon cannot stop the agent", async () => {
      await app();
      const { sessionId, daemon } = await running();
      const stopping = env.sessions.stopWorkspaceSession({ workspaceId: "ws", sessionId, graceSeconds: 1 }, auth());
      const command = await daemon.nextCommand().then(() => daemon.nextCommand());
      await daemon.acknowledge(command.commandId, "error", { error: { message: "no such process" } });
      expect((await rejection(stopping, Code.Internal)).rawMessage).toBe("machine m1 could not stop the session");
    });

    it("refuses an invalid grace, another workspace, and a session that does not exist", async () => {
      await app();
      await appSession(env, { sessionId: "s-1", state: "running" });
      const stop = (req: Record<string, unknown>) => env.sessions.stopWorkspaceSession({ workspaceId: "ws", sessionId: "s-1", ...req }, auth());
      expect(await violatedFields(stop({ graceSeconds: 301 }))).toEqual(["grace_seconds"]);
      expect(await violatedFields(stop({ graceSeconds: -1 }))).toEqual(["grace_seconds"]);
      await rejection(stop({ workspaceId: "ws-2" }), Code.NotFound);
      expect((await rejection(stop({ sessionId: "s-missing" }), Code.NotFound)).rawMessage).toBe("session s-missing not found");
    });
  });
});
