import { describe, expect, it, vi } from "vitest";
import { startFreezableProxy } from "../../support/freezable-proxy.js";
import { pollUntil } from "../../support/poll-until.js";
import { type CountedApp, holdAckAnswers, serveCountedApp } from "./serve-counted-app.js";
import { useDaemonTestBed } from "./use-daemon-test-bed.js";

// The daemon against the real app on a real port (gRPC): its acknowledgements
// and state reports go on one StreamReports stream, or as unary calls to a
// server without it. The server counts the DaemonService calls it gets.

const bed = useDaemonTestBed("unused");

/** A counted app closed after the test, with a machine token for `m1`. */
async function serve(options: { streamReports?: boolean } = {}): Promise<{ app: CountedApp; token: string }> {
  const app = await serveCountedApp(options);
  bed.onCleanup(() => app.close());
  return { app, token: await app.addMachine("m1") };
}

/** The daemon of `m1` on `server` for workspace `ws` (the test repo), once the server has it online. */
async function startDaemon(app: CountedApp, token: string, server: string, claude: string) {
  const daemon = await bed.startDaemon({
    server,
    token,
    workspaceRoots: new Map([["ws", bed.temp.repo]]),
    bins: { claude, codex: bed.agents.codex },
    startupWindowMs: 10_000,
  });
  await pollUntil(() => app.app.hub.isOnline("m1"), { timeoutMs: 10_000, what: "the daemon online" });
  return daemon;
}

const launch = (app: CountedApp) => app.sessions.launchWorkspaceSession({ workspaceId: app.workspaceId }, { headers: app.headers() });

async function waitForState(app: CountedApp, sessionId: string, state: string) {
  await pollUntil(async () => (await app.store.getSessionById(sessionId))?.state === state, { timeoutMs: 10_000, what: `session ${sessionId} ${state}` });
}

const eventTypes = async (app: CountedApp, sessionId: string) => (await app.store.listSessionEvents(sessionId, 0)).map((e) => e.type);

/** Launches an agent that exits at once: answered ok, and the session acknowledged, running, then exited, each once. */
async function launchToExit(app: CountedApp) {
  const answer = await launch(app);
  expect(answer.status).toBe("ok");
  const sessionId = answer.payload?.session_id as string;
  await waitForState(app, sessionId, "exited");
  expect(await eventTypes(app, sessionId)).toEqual(["accepted", "dispatched", "acknowledged", "running", "exited"]);
}

describe("runDaemon's acknowledgements and reports", () => {
  it("go on one StreamReports stream, with no Acknowledge or ReportSessionState call", async () => {
    const { app, token } = await serve();
    await startDaemon(app, token, app.url, bed.agents.exitZero);
    await launchToExit(app);
    expect(app.calls("StreamReports")).toBe(1);
    expect(app.calls("Acknowledge")).toBe(0);
    expect(app.calls("ReportSessionState")).toBe(0);
  });

  it("go as unary calls to a server without StreamReports", async () => {
    const { app, token } = await serve({ streamReports: false });
    const daemon = await startDaemon(app, token, app.url, bed.agents.exitZero);
    await launchToExit(app);
    expect(app.calls("Acknowledge")).toBe(1);
    expect(app.calls("ReportSessionState")).toBe(2);
    // Asked once, on the one subscription.
    expect(app.calls("StreamReports")).toBe(1);
    expect(daemon.logs).toContain("daemon: the server does not implement StreamReports; acknowledgements and reports go as unary calls");
  });

  it("are sent again on the next stream when the connection is cut before the answer, and applied once", async () => {
    const { app, token } = await serve();
    const proxy = await startFreezableProxy(app.port);
    bed.onCleanup(() => proxy.close());
    const daemon = await startDaemon(app, token, proxy.url, bed.agents.claudeInit);
    // The acknowledgement is applied, then held before it is answered.
    const { held, release } = holdAckAnswers(app);
    const answer = launch(app);
    await pollUntil(() => held.mock.calls.length === 1, { timeoutMs: 10_000, what: "the acknowledgement to be applied" });
    const recordAck = vi.spyOn(app.store, "recordAck");
    proxy.cut();
    // The daemon subscribes again and sends what was unanswered on a new stream.
    await pollUntil(() => recordAck.mock.calls.length >= 1, { timeoutMs: 10_000, what: "the acknowledgement sent again" });
    release();
    const result = await answer;
    expect(result.status).toBe("ok");
    bed.leave(result.payload?.pid as number);
    const sessionId = result.payload?.session_id as string;
    await waitForState(app, sessionId, "running");
    await pollUntil(async () => (await eventTypes(app, sessionId)).includes("running"), { timeoutMs: 10_000, what: "the running report" });
    expect(await Promise.all(recordAck.mock.results.map((r) => r.value))).toMatchObject(recordAck.mock.calls.map(() => ({ first: false })));
    expect((await eventTypes(app, sessionId)).filter((t) => t === "acknowledged")).toHaveLength(1);
    expect(app.calls("StreamReports")).toBeGreaterThanOrEqual(2);
    expect(app.calls("Acknowledge")).toBe(0);
    expect(daemon.logs.some((line) => line.includes("unanswered item(s) to send again"))).toBe(true);
  });
});
