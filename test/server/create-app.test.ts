import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { SessionEventType, SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { StopResult } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createInProcessApp, type InProcessApp } from "../support/in-process-app.js";
import { pollUntil } from "../support/poll-until.js";

let env: InProcessApp;
afterEach(async () => {
  await env?.close();
});

async function errorOf(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

const request = (extra: Record<string, unknown> = {}) => ({ workspaceId: "ws", initialPrompt: "hi", ...extra });

describe("createApp", () => {
  it("launches through the daemon's stream and answers its acknowledgement with our ids first", async () => {
    env = await createInProcessApp();
    await env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 42, session_id: "forged", provider: "claude_code" } }) });
    const res = await env.sessions.launchWorkspaceSession(request(), { headers: env.headers() });
    expect(res.status).toBe("ok");
    expect(res.payload).toMatchObject({ workspace_id: "ws", machine_id: "m1", pid: 42, provider: "claude_code" });
    const sessionId = String(res.payload?.session_id);
    expect(sessionId).not.toBe("forged");
    const got = await env.sessions.getWorkspaceSession({ workspaceId: "ws", sessionId }, { headers: env.headers() });
    expect(got.session?.state).toBe(SessionState.RUNNING);
    expect(got.session?.pid).toBe(42);
  });

  it("takes 40 launches at once without a listener-leak warning", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    try {
      env = await createInProcessApp();
      await env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 1 } }) });
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => env.sessions.launchWorkspaceSession(request({ initialPrompt: `p${i}` }), { headers: env.headers() })),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => "ok"));
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning"))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("answers unavailable at once naming the machine when no daemon is connected, storing nothing", async () => {
    env = await createInProcessApp();
    const error = await errorOf(env.sessions.launchWorkspaceSession(request(), { headers: env.headers() }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toContain("machine m1 is offline");
    expect(await env.store.listSessions({ workspaceId: "ws", limit: 10 })).toEqual([]);
  });

  it("answers deadline_exceeded naming the session, keeps it failed on a late ok, and stops that agent", async () => {
    env = await createInProcessApp({ launchDeadlineMs: 50 });
    const daemon = await env.daemon();
    const error = await errorOf(env.sessions.launchWorkspaceSession(request(), { headers: env.headers() }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    const command = await daemon.nextCommand();
    const sessionId = command.kind.case === "launch" ? command.kind.value.sessionId : "";
    expect(error.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ session_id: sessionId, machine_id: "m1" });
    const deadline = command.kind.case === "launch" ? command.kind.value.deadline : undefined;
    expect(deadline && timestampMs(deadline)).toBeGreaterThan(Date.now() - 5_000);
    expect((await env.store.getSessionById(sessionId))?.state).toBe("failed");
    await daemon.acknowledge(command.commandId, "ok", { pid: 7 });
    const stop = await daemon.nextCommand();
    expect(stop.kind.case === "stop" && stop.kind.value.sessionId).toBe(sessionId);
    const late = await env.store.getSessionById(sessionId);
    expect(late).toMatchObject({ state: "failed", pid: 7 });
    const events = await env.store.listSessionEvents(sessionId, 0);
    expect(events.at(-1)).toMatchObject({ type: "acknowledged", state: "failed", message: expect.stringContaining("stopping the agent") });
  });

  it("replays the first result for a retry with the same Idempotency-Key and launches nothing new", async () => {
    env = await createInProcessApp();
    const daemon = await env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 1 } }) });
    const headers = { ...env.headers(), "Idempotency-Key": "k-1" };
    const first = await env.sessions.launchWorkspaceSession(request(), { headers });
    const again = await env.sessions.launchWorkspaceSession(request(), { headers });
    expect(again).toEqual(first);
    expect(daemon.commands).toHaveLength(1);
    const other = await errorOf(env.sessions.launchWorkspaceSession(request({ initialPrompt: "other" }), { headers }));
    expect(other.code).toBe(Code.InvalidArgument);
  });

  it("reuses a finished session by user_session_id and resumes its agent session", async () => {
    env = await createInProcessApp();
    const daemon = await env.daemon({ autoAck: () => ({ status: "ok", payload: { agent_session_id: "agent-1" } }) });
    const first = await env.sessions.launchWorkspaceSession(request(), { headers: env.headers() });
    const sessionId = String(first.payload?.session_id);
    const busy = await errorOf(env.sessions.launchWorkspaceSession(request({ userSessionId: sessionId }), { headers: env.headers() }));
    expect(busy.code).toBe(Code.FailedPrecondition);
    await daemon.report(sessionId, SessionState.EXITED, { exitCode: 0 });
    const again = await env.sessions.launchWorkspaceSession(request({ userSessionId: sessionId }), { headers: env.headers() });
    expect(again.payload?.session_id).toBe(sessionId);
    const resumed = daemon.commands[1];
    expect(resumed?.kind.case === "launch" && resumed.kind.value.request?.resumeSessionId).toBe("agent-1");
  });

  it("stops a running session through its daemon and answers once it is recorded stopped, by the caller's token", async () => {
    env = await createInProcessApp();
    const daemon = await env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 5 } }) });
    const launched = await env.sessions.launchWorkspaceSession(request(), { headers: env.headers() });
    const sessionId = String(launched.payload?.session_id);
    const stopping = env.sessions.stopWorkspaceSession({ workspaceId: "ws", sessionId, graceSeconds: 1 }, { headers: env.headers() });
    const command = await pollUntil(() => daemon.commands.find((c) => c.kind.case === "stop"));
    await daemon.acknowledge(command.commandId, "ok", {});
    await daemon.report(sessionId, SessionState.EXITED, { exitCode: 143 });
    const stopped = await stopping;
    expect(stopped.result).toBe(StopResult.STOPPED);
    expect(stopped.session).toMatchObject({ state: SessionState.STOPPED, stoppedBy: env.apiTokenId, exitCode: 143 });
    expect(stopped.session?.stopTime).toBeDefined();
  });

  it("ends a streaming launch with a failed event and the dispatch's error when the daemon stays silent", async () => {
    env = await createInProcessApp({ launchDeadlineMs: 50 });
    await env.daemon();
    const types: SessionEventType[] = [];
    const error = await errorOf(
      (async () => {
        for await (const e of env.sessions.launchWorkspaceSessionStream(request(), { headers: env.headers() })) types.push(e.type);
      })(),
    );
    expect(types).toEqual([SessionEventType.ACCEPTED, SessionEventType.DISPATCHED, SessionEventType.FAILED]);
    expect(error.code).toBe(Code.DeadlineExceeded);
  });

  it("ends a streaming launch with a failed event and the store's error when the store breaks during dispatch", async () => {
    env = await createInProcessApp();
    await env.daemon();
    const broken = async () => {
      throw new ConnectError("database error (command)", Code.Internal);
    };
    const append = env.store.appendSessionEvent.bind(env.store);
    // The launch is accepted, then every write of the dispatch fails.
    env.store.createCommand = broken;
    env.store.updateSession = broken;
    env.store.moveSession = broken;
    env.store.appendSessionEvent = (event, signal) => (event.type === "accepted" ? append(event, signal) : broken());
    const events: { type: SessionEventType; sequence: bigint }[] = [];
    const error = await errorOf(
      (async () => {
        for await (const e of env.sessions.launchWorkspaceSessionStream(request(), { headers: env.headers() })) events.push(e);
      })(),
    );
    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      [SessionEventType.ACCEPTED, 1n],
      [SessionEventType.FAILED, 0n],
    ]);
    expect(error.code).toBe(Code.Internal);
    expect(env.logged.length).toBeGreaterThan(0);
  });

  it("fails a launch with unavailable at once when its daemon's stream drops before the ack, and never pushes it again", async () => {
    env = await createInProcessApp({ launchDeadlineMs: 10_000 });
    const daemon = await env.daemon();
    const started = Date.now();
    const launching = errorOf(env.sessions.launchWorkspaceSession(request(), { headers: env.headers() }));
    const command = await daemon.nextCommand();
    await daemon.stop();
    const error = await launching;
    expect(error.code).toBe(Code.Unavailable);
    expect(Date.now() - started).toBeLessThan(5_000);
    const sessionId = command.kind.case === "launch" ? command.kind.value.sessionId : "";
    expect((await env.store.getSessionById(sessionId))?.state).toBe("failed");
    expect(await env.store.listPendingCommands("m1", Date.now())).toEqual([]);
  });

  it("refuses with deadline_exceeded, storing nothing, a launch whose caller deadline cannot cover the round trip", async () => {
    env = await createInProcessApp();
    await env.daemon({ autoAck: () => ({ status: "ok", payload: {} }) });
    for (const timeoutMs of [1, 50]) {
      const error = await errorOf(env.sessions.launchWorkspaceSession(request(), { headers: env.headers(), timeoutMs }));
      expect(error.code).toBe(Code.DeadlineExceeded);
    }
    expect(await env.store.listSessions({ workspaceId: "ws", limit: 10 })).toEqual([]);
  });

  it("ends a revoked machine token's Subscribe and a revoked API token's Watch at once with unauthenticated", async () => {
    env = await createInProcessApp({ revocationCheckMs: 20 });
    const daemon = await env.daemon({ autoAck: () => ({ status: "ok", payload: { pid: 3 } }) });
    const launched = await env.sessions.launchWorkspaceSession(request(), { headers: env.headers() });
    const sessionId = String(launched.payload?.session_id);
    const watching = errorOf(
      (async () => {
        for await (const _ of env.sessions.watchWorkspaceSession({ workspaceId: "ws", sessionId }, { headers: env.headers() })) {
          // follows until the token is revoked
        }
      })(),
    );
    const tokens = await env.store.listTokens();
    for (const token of tokens) await env.store.revokeToken(token.tokenId, Date.now());
    expect((await watching).code).toBe(Code.Unauthenticated);
    await pollUntil(async () => !(await env.app.hub.isOnline("m1")), { what: "the revoked daemon's stream to end" });
    expect(daemon.commands).toHaveLength(1);
  });

  it("shuts down gracefully: a launch in flight settles, then streams end with unavailable and no machine is marked offline", async () => {
    env = await createInProcessApp();
    const daemon = await env.daemon();
    const launching = env.sessions.launchWorkspaceSession(request(), { headers: env.headers() });
    const command = await daemon.nextCommand();
    const sessionId = command.kind.case === "launch" ? command.kind.value.sessionId : "";
    const seen: SessionEventType[] = [];
    const watching = errorOf(
      (async () => {
        for await (const e of env.sessions.watchWorkspaceSession({ workspaceId: "ws", sessionId }, { headers: env.headers() })) seen.push(e.type);
      })(),
    );
    await pollUntil(() => seen.length >= 2, { what: "the watch to be open" });
    const down = env.app.shutdown({ graceMs: 5_000 });
    await daemon.acknowledge(command.commandId, "ok", { pid: 9 });
    expect((await launching).status).toBe("ok");
    await down;
    expect((await watching).code).toBe(Code.Unavailable);
    expect(seen).toContain(SessionEventType.ACKNOWLEDGED);
    expect((await env.store.getSessionById(sessionId))?.state).toBe("running");
    const late = await errorOf(env.sessions.getWorkspaceSession({ workspaceId: "ws", sessionId }, { headers: env.headers() }));
    expect(late.code).toBe(Code.Unavailable);
  });
});
