import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { callWithRetry } from "../../../client/daemon/call-with-retry.js";
import { createReportStream, type ReportStream } from "../../../client/daemon/create-report-stream.js";
import { DaemonService } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import type { TestDaemon } from "../../support/in-process-app.js";
import { type FreezableProxy, startFreezableProxy } from "../../support/freezable-proxy.js";
import { pollUntil } from "../../support/poll-until.js";
import { rejection } from "../../server/services/service-fixtures.js";
import { type CountedApp, holdAckAnswers, serveCountedApp } from "./serve-counted-app.js";

// The report stream against the real app on a real port over gRPC: launches
// are made through the API, their commands taken by a test daemon, and the
// acknowledgements and reports sent through createReportStream. The server
// counts the DaemonService calls it gets.

let env: CountedApp | undefined;
let proxy: FreezableProxy | undefined;
const streams: ReportStream[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.end();
  await proxy?.close();
  proxy = undefined;
  await env?.close();
  env = undefined;
});

async function setUp(options: { streamReports?: boolean; timeoutMs?: number; viaProxy?: boolean } = {}) {
  const app = await serveCountedApp(options);
  env = app;
  const daemon = await app.daemon();
  const token = await app.addMachine("m1");
  let baseUrl = app.url;
  if (options.viaProxy) {
    proxy = await startFreezableProxy(app.port);
    baseUrl = proxy.url;
  }
  const log: string[] = [];
  const client = createClient(DaemonService, createGrpcTransport({ baseUrl }));
  const stream = createReportStream({
    client,
    callOptions: { headers: app.headers(token), timeoutMs: options.timeoutMs ?? 10_000 },
    log: (line) => log.push(line),
  });
  streams.push(stream);
  return { app, daemon, stream, log };
}

/** Launches a session through the API; the command the daemon got and the caller's pending answer. */
async function launch(app: CountedApp, daemon: TestDaemon) {
  const answer = app.sessions.launchWorkspaceSession({ workspaceId: app.workspaceId }, { headers: app.headers() });
  const command = await daemon.nextCommand();
  if (command.kind.case !== "launch") throw new Error(`expected a launch, got ${command.kind.case}`);
  return { commandId: command.commandId, sessionId: command.kind.value.sessionId, answer };
}

const okAck = (commandId: string) => ({ commandId, status: "ok", payload: { pid: 4242, agent_session_id: "agent-1", provider: "claude_code" } });

const eventTypes = async (app: CountedApp, sessionId: string) => (await app.store.listSessionEvents(sessionId, 0)).map((e) => e.type);

/** `attempt` under callWithRetry (as the daemon runs it, with short pauses), counting the attempts and their failures. */
function retried(attempt: () => Promise<void>) {
  const failures: Code[] = [];
  let attempts = 0;
  const done = callWithRetry(
    async () => {
      attempts++;
      try {
        await attempt();
      } catch (error) {
        failures.push(ConnectError.from(error).code);
        throw error;
      }
    },
    { initialMs: 10 },
  );
  return { done, failures, attempts: () => attempts };
}

describe("createReportStream", () => {
  it("carries acknowledgements and reports on one stream, calling neither unary RPC", async () => {
    const { app, daemon, stream } = await setUp();
    const launches = [await launch(app, daemon), await launch(app, daemon), await launch(app, daemon)];
    await Promise.all(launches.map((l) => stream.acknowledge(okAck(l.commandId))));
    for (const l of launches) expect((await l.answer).status).toBe("ok");
    for (const l of launches) {
      await stream.reportSessionState({ sessionId: l.sessionId, state: SessionState.RUNNING, pid: 4242 });
      await stream.reportSessionState({ sessionId: l.sessionId, state: SessionState.EXITED, exitCode: 0 });
    }
    for (const l of launches) expect((await app.store.getSessionById(l.sessionId))?.state).toBe("exited");
    expect(app.calls("StreamReports")).toBe(1);
    expect(app.calls("Acknowledge")).toBe(0);
    expect(app.calls("ReportSessionState")).toBe(0);
  });

  it("rejects an item the server refuses with the answer's code: a transient one is retried, a final one is not", async () => {
    const { app, daemon, stream } = await setUp();
    const { commandId, sessionId, answer } = await launch(app, daemon);
    await stream.acknowledge(okAck(commandId));
    await answer;
    // The store cannot record the report once (a database gone for a moment).
    const original = app.store.recordMachineSeen.bind(app.store);
    const seen = vi
      .spyOn(app.store, "recordMachineSeen")
      .mockImplementationOnce(() => Promise.reject(new ConnectError("the database is unreachable", Code.Unavailable)))
      .mockImplementation(original);
    const report = retried(() => stream.reportSessionState({ sessionId, state: SessionState.RUNNING, pid: 4242 }));
    await report.done;
    expect(report.failures).toEqual([Code.Unavailable]);
    expect(report.attempts()).toBe(2);
    expect(seen).toHaveBeenCalledTimes(2);
    expect((await eventTypes(app, sessionId)).filter((t) => t === "running")).toHaveLength(1);

    // A session the server does not know is refused for good: one attempt.
    const refused = retried(() => stream.reportSessionState({ sessionId: "no-such-session", state: SessionState.EXITED, exitCode: 0 }));
    const error = await rejection(refused.done, Code.NotFound);
    expect(error.rawMessage).toContain("no-such-session");
    expect(refused.attempts()).toBe(1);
    expect(app.calls("StreamReports")).toBe(1);
    expect(app.calls("ReportSessionState")).toBe(0);
  });

  it("fails only what is unanswered when the stream is cut, and its retry on a new stream applies nothing twice", async () => {
    const { app, daemon, stream, log } = await setUp({ viaProxy: true });
    const first = await launch(app, daemon);
    await stream.acknowledge(okAck(first.commandId));
    await stream.reportSessionState({ sessionId: first.sessionId, state: SessionState.RUNNING, pid: 4242 });
    const recordAck = vi.spyOn(app.store, "recordAck");

    const second = await launch(app, daemon);
    const { held, release } = holdAckAnswers(app);
    const delivered = retried(() => stream.acknowledge(okAck(second.commandId)));
    // Applied on the server (the session runs), not yet answered: then the connection goes.
    await pollUntil(() => held.mock.calls.length === 1, { what: "the second acknowledgement to be applied" });
    expect((await app.store.getSessionById(second.sessionId))?.state).toBe("running");
    proxy!.cut();
    await delivered.done;
    release();
    expect((await second.answer).status).toBe("ok");

    expect(delivered.attempts()).toBe(2);
    expect(app.calls("StreamReports")).toBe(2);
    // Only the unanswered acknowledgement went again, and the server took it as the repeat it is.
    expect(recordAck.mock.calls.map(([ack]) => ack.commandId)).toEqual([second.commandId, second.commandId]);
    expect(await Promise.all(recordAck.mock.results.map((r) => r.value))).toMatchObject([{ first: true }, { first: false }]);
    expect(held).toHaveBeenCalledTimes(1);
    expect(await eventTypes(app, second.sessionId)).toEqual(["accepted", "dispatched", "acknowledged"]);
    // What was answered before the cut was not sent again.
    expect(await eventTypes(app, first.sessionId)).toEqual(["accepted", "dispatched", "acknowledged", "running"]);
    expect(log.some((line) => line.includes("1 unanswered item(s) to send again"))).toBe(true);
  });

  it("gives an item unanswered within the timeout up as deadline_exceeded, and its retry goes on a new stream", async () => {
    const { app, daemon, stream } = await setUp({ timeoutMs: 300 });
    const { commandId, answer } = await launch(app, daemon);
    const { held, release } = holdAckAnswers(app);
    const delivered = retried(() => stream.acknowledge(okAck(commandId)));
    await delivered.done;
    release();
    expect((await answer).status).toBe("ok");
    expect(delivered.failures).toEqual([Code.DeadlineExceeded]);
    expect(delivered.attempts()).toBe(2);
    expect(held).toHaveBeenCalledTimes(1);
    expect(app.calls("StreamReports")).toBe(2);
  });

  it("answers what it carries after end(), and opens a new stream for the next item", async () => {
    const { app, daemon, stream } = await setUp();
    const first = await launch(app, daemon);
    const { held, release } = holdAckAnswers(app);
    const delivered = stream.acknowledge(okAck(first.commandId));
    await pollUntil(() => held.mock.calls.length === 1, { what: "the acknowledgement to be applied" });
    stream.end();
    release();
    await delivered;
    held.mockRestore();
    const second = await launch(app, daemon);
    await stream.acknowledge(okAck(second.commandId));
    expect((await second.answer).status).toBe("ok");
    expect(app.calls("StreamReports")).toBe(2);
    expect(app.calls("Acknowledge")).toBe(0);
  });

  it("falls back to the unary RPCs on a server without StreamReports, and asks again after reconnect()", async () => {
    const { app, daemon, stream, log } = await setUp({ streamReports: false });
    const first = await launch(app, daemon);
    await stream.acknowledge(okAck(first.commandId));
    expect((await first.answer).status).toBe("ok");
    await stream.reportSessionState({ sessionId: first.sessionId, state: SessionState.RUNNING, pid: 4242 });
    expect((await app.store.getSessionById(first.sessionId))?.state).toBe("running");
    expect([app.calls("StreamReports"), app.calls("Acknowledge"), app.calls("ReportSessionState")]).toEqual([1, 1, 1]);
    // A refusal on the unary path is the caller's, as before.
    await rejection(stream.reportSessionState({ sessionId: "no-such-session", state: SessionState.RUNNING }), Code.NotFound);
    expect([app.calls("StreamReports"), app.calls("ReportSessionState")]).toEqual([1, 2]);
    expect(log.filter((line) => line.includes("does not implement StreamReports"))).toHaveLength(1);

    stream.reconnect();
    const second = await launch(app, daemon);
    await stream.acknowledge(okAck(second.commandId));
    expect((await second.answer).status).toBe("ok");
    expect([app.calls("StreamReports"), app.calls("Acknowledge")]).toEqual([2, 2]);
  });
});
