import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import {
  AcknowledgeRequestSchema,
  DaemonCommandSchema,
  DaemonService,
  type StreamReportsRequestSchema,
} from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import type { Principal } from "../../../server/auth/principal.js";
import { createAsyncQueue } from "../../../server/hub/create-async-queue.js";
import { createDaemonHub } from "../../../server/hub/create-daemon-hub.js";
import { createLauncher } from "../../../server/launch/create-launcher.js";
import { createDaemonService } from "../../../server/services/daemon-service.js";
import { createSessionEventBus } from "../../../server/sessions/create-session-event-bus.js";
import { createSessionLifecycle } from "../../../server/sessions/create-session-lifecycle.js";
import { createSqliteStore } from "../../../server/store/sqlite/create-sqlite-store.js";
import { createInProcessApp, type InProcessApp } from "../../support/in-process-app.js";
import { pollUntil } from "../../support/poll-until.js";
import { addOtherWorkspace, appSession, handlerContext, rejection } from "./service-fixtures.js";

let env: InProcessApp;
afterEach(async () => {
  await env?.close();
});

/** A DaemonService client speaking with the machine token of `machineId` (created if need be). */
async function daemonClient(machineId = "m1") {
  const token = await env.addMachine(machineId);
  return { client: createClient(DaemonService, env.transport), headers: env.headers(token) };
}

/** A launch command stored for a session on `machineId`, as the launch room records it. */
async function storedCommand(commandId: string, machineId = "m1") {
  await appSession(env, { sessionId: `s-${commandId}`, state: "dispatched", machineId });
  const command = create(DaemonCommandSchema, { commandId, kind: { case: "launch", value: { sessionId: `s-${commandId}` } } });
  await env.store.createCommand({ commandId, machineId, sessionId: `s-${commandId}`, kind: "launch", command, deadlineAt: undefined, now: 1 });
}

describe("createDaemonService", () => {
  it("refuses API tokens on every method", async () => {
    env = await createInProcessApp();
    const client = createClient(DaemonService, env.transport);
    const headers = env.headers();
    await rejection(client.acknowledge({ commandId: "c", status: "ok" }, { headers }), Code.PermissionDenied);
    await rejection(client.reportSessionState({ sessionId: "s", state: SessionState.RUNNING }, { headers }), Code.PermissionDenied);
    const subscribe = (async () => {
      for await (const _ of client.subscribe({}, { headers })) break;
    })();
    await rejection(subscribe, Code.PermissionDenied);
    expect(await env.app.hub.isOnline("m1")).toBe(false);
  });

  it("refuses a call whose principal is not a machine, even past the interceptor", async () => {
    const store = createSqliteStore({ path: ":memory:" });
    await store.migrate();
    const hub = createDaemonHub({ store });
    const events = createSessionEventBus({ store });
    const lifecycle = createSessionLifecycle({ store, events });
    const service = createDaemonService({ store, hub, lifecycle, events, launcher: createLauncher({ store, hub, events, lifecycle }) });
    const api: Principal = { kind: "api", tokenId: "t", workspaceIds: new Set(["ws"]), scopes: new Set(["sessions" as const]) };
    for (const principal of [api, undefined]) {
      const ctx = handlerContext(DaemonService, DaemonService.method.acknowledge, principal);
      const error = await rejection(Promise.resolve(service.acknowledge(create(AcknowledgeRequestSchema, { commandId: "c", status: "ok" }), ctx)), Code.PermissionDenied);
      expect(error.rawMessage).toBe("a machine token is required");
    }
    await store.close();
  });

  describe("subscribe", () => {
    it("puts the machine online while its stream is open, records what the daemon said, and takes it offline after", async () => {
      env = await createInProcessApp();
      const before = Date.now();
      const daemon = await env.daemon();
      expect((await env.app.hub.presence(["m1"])).get("m1")).toEqual({ daemonVersion: "test", hostname: "test-host" });
      const machine = await env.store.getMachine("m1");
      expect(machine).toMatchObject({ daemonVersion: "test", hostname: "test-host" });
      expect(machine?.lastSeenAt).toBeGreaterThanOrEqual(before);
      await daemon.stop();
      expect(await env.app.hub.isOnline("m1")).toBe(false);
    });

    it("heals the sessions the daemon still runs and fails those it lost", async () => {
      env = await createInProcessApp();
      await appSession(env, { sessionId: "s-alive", state: "unknown", pid: 1 });
      const acknowledgement = { status: "ok", payload: { pid: 5 } };
      await appSession(env, { sessionId: "s-lost", state: "unknown", acknowledgement });
      await appSession(env, { sessionId: "s-running", state: "running", acknowledgement });
      await env.daemon({ runningSessions: [{ sessionId: "s-alive", pid: 77, agentSessionId: "agent-1" }] });
      expect(await env.store.getSessionById("s-alive")).toMatchObject({ state: "running", pid: 77 });
      expect((await env.store.getSessionById("s-lost"))?.state).toBe("failed");
      expect((await env.store.getSessionById("s-running"))?.state).toBe("failed");
    });

    it("makes the machine's running sessions unknown when its stream ends", async () => {
      env = await createInProcessApp();
      const daemon = await env.daemon();
      await appSession(env, { sessionId: "s-1", state: "running" });
      await daemon.stop();
      await pollUntil(async () => (await env.store.getSessionById("s-1"))?.state === "unknown", { timeoutMs: 1000, what: "s-1 to be unknown" });
    });
  });

  describe("acknowledge", () => {
    it.each(["", "OK", "maybe"])("refuses the status %j with invalid_argument and records nothing", async (status) => {
      env = await createInProcessApp();
      const { client, headers } = await daemonClient();
      await storedCommand("c-1");
      const error = await rejection(client.acknowledge({ commandId: "c-1", status }, { headers }), Code.InvalidArgument);
      expect(error.rawMessage).toBe('status must be "ok" or "error"');
      expect((await env.store.getCommand("c-1"))?.ackStatus).toBe("");
    });

    it("answers not_found for a command that does not exist and for another machine's command", async () => {
      env = await createInProcessApp();
      const { client, headers } = await daemonClient("m1");
      await env.addMachine("m3");
      await storedCommand("c-m3", "m3");
      await rejection(client.acknowledge({ commandId: "c-missing", status: "ok" }, { headers }), Code.NotFound);
      const error = await rejection(client.acknowledge({ commandId: "c-m3", status: "ok" }, { headers }), Code.NotFound);
      expect(error.rawMessage).toBe("command c-m3 not found");
      expect((await env.store.getCommand("c-m3"))?.ackStatus).toBe("");
    });

    it("records the machine's acknowledgement with its payload, and takes a repeat harmlessly", async () => {
      env = await createInProcessApp();
      const { client, headers } = await daemonClient();
      await storedCommand("c-1");
      await client.acknowledge({ commandId: "c-1", status: "ok", payload: { pid: 5 } }, { headers });
      await client.acknowledge({ commandId: "c-1", status: "error", payload: {} }, { headers });
      expect(await env.store.getCommand("c-1")).toMatchObject({ ackStatus: "ok", ackPayload: { pid: 5 } });
      expect(await env.store.getSessionById("s-c-1")).toMatchObject({ state: "running", pid: 5 });
    });
  });

  describe("reportSessionState", () => {
    it.each([SessionState.UNSPECIFIED, SessionState.PENDING, SessionState.DISPATCHED, SessionState.UNKNOWN, 42 as SessionState])(
      "refuses the state %s with invalid_argument",
      async (state) => {
        env = await createInProcessApp();
        const { client, headers } = await daemonClient();
        await appSession(env, { sessionId: "s-1", state: "running" });
        const error = await rejection(client.reportSessionState({ sessionId: "s-1", state }, { headers }), Code.InvalidArgument);
        expect(error.rawMessage).toBe("state must be RUNNING, EXITED or FAILED");
        expect((await env.store.getSessionById("s-1"))?.state).toBe("running");
      },
    );

    it("answers not_found for a session that does not exist and for a session on another machine", async () => {
      env = await createInProcessApp();
      await addOtherWorkspace(env);
      const { client, headers } = await daemonClient("m1");
      await env.addMachine("m3");
      const onM3 = await appSession(env, { sessionId: "s-m3", state: "running", machineId: "m3" });
      const elsewhere = await appSession(env, { sessionId: "s-ws2", state: "running", workspaceId: "ws-2", machineId: "m-2" });
      const report = (sessionId: string) => client.reportSessionState({ sessionId, state: SessionState.EXITED, exitCode: 0 }, { headers });
      await rejection(report("s-missing"), Code.NotFound);
      expect((await rejection(report("s-m3"), Code.NotFound)).rawMessage).toBe("session s-m3 not found");
      await rejection(report("s-ws2"), Code.NotFound);
      expect(await env.store.getSessionById("s-m3")).toEqual(onM3);
      expect(await env.store.getSessionById("s-ws2")).toEqual(elsewhere);
    });

    it("moves the session as reported, keeping an exit code of 0, and records the machine as seen", async () => {
      env = await createInProcessApp();
      const { client, headers } = await daemonClient();
      await appSession(env, { sessionId: "s-1", state: "dispatched" });
      const before = Date.now();
      await client.reportSessionState({ sessionId: "s-1", state: SessionState.RUNNING, pid: 31, message: "up" }, { headers });
      expect(await env.store.getSessionById("s-1")).toMatchObject({ state: "running", pid: 31 });
      expect((await env.store.getMachine("m1"))?.lastSeenAt).toBeGreaterThanOrEqual(before);
      await client.reportSessionState({ sessionId: "s-1", state: SessionState.EXITED, exitCode: 0 }, { headers });
      expect(await env.store.getSessionById("s-1")).toMatchObject({ state: "exited", exitCode: 0, pid: 0 });
      await client.reportSessionState({ sessionId: "s-1", state: SessionState.FAILED, message: "late" }, { headers });
      expect((await env.store.getSessionById("s-1"))?.state).toBe("exited");
    });
  });

  describe("streamReports", () => {
    it("records acknowledgements and reports sent on one stream, answering each by its seq, a refused one without ending the stream", async () => {
      env = await createInProcessApp();
      const { client, headers } = await daemonClient();
      await storedCommand("c-1");
      await appSession(env, { sessionId: "s-2", state: "running" });
      const requests = createAsyncQueue<MessageInitShape<typeof StreamReportsRequestSchema>>();
      const answers = client.streamReports(requests, { headers })[Symbol.asyncIterator]();
      requests.push({ seq: 1n, kind: { case: "ack", value: { commandId: "c-1", status: "ok", payload: { pid: 5 } } } });
      expect((await answers.next()).value).toMatchObject({ seq: 1n, code: "" });
      expect(await env.store.getSessionById("s-c-1")).toMatchObject({ state: "running", pid: 5 });
      requests.push({ seq: 2n, kind: { case: "ack", value: { commandId: "c-missing", status: "ok" } } });
      expect((await answers.next()).value).toMatchObject({ seq: 2n, code: "not_found", message: "command c-missing not found" });
      requests.push({ seq: 3n, kind: { case: "report", value: { sessionId: "s-2", state: SessionState.EXITED, exitCode: 0 } } });
      expect((await answers.next()).value).toMatchObject({ seq: 3n, code: "" });
      expect(await env.store.getSessionById("s-2")).toMatchObject({ state: "exited", exitCode: 0 });
      requests.close();
      expect((await answers.next()).done).toBe(true);
    });

    it("refuses API tokens", async () => {
      env = await createInProcessApp();
      const requests = createAsyncQueue<MessageInitShape<typeof StreamReportsRequestSchema>>();
      requests.close();
      const stream = (async () => {
        for await (const _ of createClient(DaemonService, env.transport).streamReports(requests, { headers: env.headers() })) break;
      })();
      await rejection(stream, Code.PermissionDenied);
    });
  });
});

