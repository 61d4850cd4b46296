import { readFile } from "node:fs/promises";
import path from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MachineService } from "../../gen/workspaces/v1/machine_service_pb.js";
import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { WorkspaceSessionService } from "../../gen/workspaces/v1/workspace_session_service_pb.js";
import { openAdminStore } from "../../server/admin/open-admin-store.js";
import { session } from "../server/store/store-contract-fixtures.js";
import { pollUntil } from "../support/poll-until.js";
import { startFakeDaemon } from "./harness/fake-daemon.js";
import { seedRequest } from "./harness/seed-request.js";
import { type Stack, startStack } from "./harness/start-stack.js";
import { waitForSessionState } from "./harness/wait-for-session-state.js";
import { collect, launchRequest } from "./harness/stream-clients.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const auth = () => ({ headers: { Authorization: `Bearer ${stack.apiToken}` } });
const sessions = () => createClient(WorkspaceSessionService, createGrpcTransport({ baseUrl: stack.url }));
const machines = () => createClient(MachineService, createConnectTransport({ baseUrl: stack.url, httpVersion: "1.1" }));

async function launch(values: Record<string, string | null>) {
  return sessions().launchWorkspaceSession(launchRequest(stack.workspaceId, seedRequest(values)), auth());
}
async function argvOf(pid: unknown): Promise<string[]> {
  return (JSON.parse(await readFile(path.join(stack.recordDir, `${pid}.json`), "utf8")) as { argv: string[] }).argv;
}
async function errorOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected an error");
}
const waitForState = (sessionId: string, state: SessionState) => waitForSessionState(stack, sessionId, state);

describe("reuse and resume", () => {
  it("passes resume_session_id to the provider's resume flag", async () => {
    const res = await launch({ resume_session_id: "3b1f0c5e-resume", initial_prompt: "exit:0:50" });
    expect(res.status).toBe("ok");
    const argv = await argvOf(res.payload?.pid);
    expect(argv.slice(0, 6)).toEqual(["--print", "--output-format", "stream-json", "--verbose", "--resume", "3b1f0c5e-resume"]);
  });

  it("reuses a finished user session, resuming its agent session from what the server stored", async () => {
    const first = await launch({ initial_prompt: "exit:0:50" });
    const sessionId = String(first.payload?.session_id);
    await waitForState(sessionId, SessionState.EXITED);
    const again = await launch({ user_session_id: sessionId, initial_prompt: "exit:0:50" });
    expect(again.status).toBe("ok");
    expect(again.payload?.session_id).toBe(sessionId);
    const argv = await argvOf(again.payload?.pid);
    expect(argv).toContain("--resume");
    expect(argv[argv.indexOf("--resume") + 1]).toBe(first.payload?.agent_session_id);
  });

  it("refuses to reuse a session that is still running, and one that does not exist", async () => {
    const running = await launch({});
    const busy = await errorOf(launch({ user_session_id: String(running.payload?.session_id) }));
    expect(busy.code).toBe(Code.FailedPrecondition);
    const missing = await errorOf(launch({ user_session_id: "no-such-session" }));
    expect(missing.code).toBe(Code.NotFound);
    await sessions().stopWorkspaceSession({ workspaceId: stack.workspaceId, sessionId: String(running.payload?.session_id), graceSeconds: 1 }, auth());
  });

  it("attaches to an agent session the daemon runs, and acknowledges an error when it has none", async () => {
    const running = await launch({});
    const attached = await launch({ agent_session_id: String(running.payload?.agent_session_id) });
    expect(attached.status).toBe("ok");
    expect(attached.payload?.pid).toBe(running.payload?.pid);
    const unknown = await launch({ agent_session_id: "not-running-here" });
    expect(unknown.status).toBe("error");
    expect(unknown.payload?.error).toMatchObject({ code: "agent_session_not_found" });
    await sessions().stopWorkspaceSession({ workspaceId: stack.workspaceId, sessionId: String(running.payload?.session_id), graceSeconds: 1 }, auth());
  });
});

describe("ListWorkspaceSessions", () => {
  it("pages over 250 sessions newest first, returning each exactly once", async () => {
    await stack.admin("create-workspace", "paging");
    await stack.admin("create-machine", "paging-m", "--workspace", "paging");
    const token = (JSON.parse(await stack.admin("create-token", "--workspace", "paging", "--json")) as { token: string }).token;
    const store = await openAdminStore(stack.database);
    const base = Date.now();
    for (let i = 0; i < 250; i++) {
      await store.createSession(
        session({
          sessionId: `s-${String(i).padStart(3, "0")}`,
          workspaceId: "paging",
          machineId: "paging-m",
          state: i % 5 === 0 ? "running" : "exited",
          // Some share a create time, so the id breaks ties.
          createdAt: base + Math.floor(i / 3),
        }),
      );
    }
    await store.close();
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await sessions().listWorkspaceSessions(
        { workspaceId: "paging", pageSize: 40, pageToken },
        { headers: { Authorization: `Bearer ${token}` } },
      );
      seen.push(...page.sessions.map((s) => s.sessionId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect(seen).toEqual([...seen].sort().reverse());

    const res = await fetch(`${stack.url}/api/v1/workspaces/paging/sessions?state=SESSION_STATE_RUNNING&page_size=100`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { sessions: { session_id: string; state: string }[]; next_page_token?: string };
    expect(body.sessions).toHaveLength(50);
    expect(body.sessions.every((s) => s.state === "SESSION_STATE_RUNNING")).toBe(true);
    expect(body.next_page_token ?? "").toBe("");
  });
});

describe("MachineService", () => {
  it("lists machines with online state, last seen, daemon version and the default marked", async () => {
    await stack.admin("create-machine", "spare", "--workspace", stack.workspaceId);
    const list = await machines().listMachines({}, auth());
    const m1 = list.machines.find((m) => m.machineId === stack.machineId);
    const spare = list.machines.find((m) => m.machineId === "spare");
    expect(m1).toMatchObject({ online: true, isDefault: true, daemonVersion: "0.1.0", workspaceId: stack.workspaceId });
    expect(m1?.lastSeenTime).toBeDefined();
    expect(spare).toMatchObject({ online: false, isDefault: false, daemonVersion: "" });
    expect(spare?.lastSeenTime).toBeUndefined();
    const got = await machines().getMachine({ machineId: stack.machineId }, auth());
    expect(got.machine?.hostname).not.toBe("");
    const hidden = await errorOf(machines().getMachine({ machineId: "paging-m" }, auth()));
    expect(hidden.code).toBe(Code.NotFound);
  });
});

describe("stream deadlines", () => {
  it("ends a watch at the caller's deadline with deadline_exceeded, and the server keeps serving", async () => {
    const running = await launch({});
    const sessionId = String(running.payload?.session_id);
    const started = Date.now();
    const err = await errorOf(
      collect(sessions().watchWorkspaceSession({ workspaceId: stack.workspaceId, sessionId }, { ...auth(), timeoutMs: 400 })),
    );
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(3000);
    const got = await sessions().getWorkspaceSession({ workspaceId: stack.workspaceId, sessionId }, auth());
    expect(got.session?.state).toBe(SessionState.RUNNING);
    await sessions().stopWorkspaceSession({ workspaceId: stack.workspaceId, sessionId, graceSeconds: 1 }, auth());
  });
});

async function machineToken(machineId: string): Promise<string> {
  await stack.admin("create-machine", machineId, "--workspace", stack.workspaceId);
  return (JSON.parse(await stack.admin("create-token", "--machine", machineId, "--json")) as { token: string }).token;
}

describe("late acknowledgements", () => {
  it("keeps a session failed when its ok arrives after deadline_exceeded, and stops that agent", async () => {
    const daemon = startFakeDaemon(stack.url, await machineToken("late"));
    await stack.waitOnline("late", true);
    try {
      const err = await errorOf(
        sessions().launchWorkspaceSession(launchRequest(stack.workspaceId, seedRequest({ machine_id: "late" })), { ...auth(), timeoutMs: 600 }),
      );
      expect(err.code).toBe(Code.DeadlineExceeded);
      const launch = await daemon.nextLaunch();
      const sessionId = launch.kind.case === "launch" ? launch.kind.value.sessionId : "";
      await waitForState(sessionId, SessionState.FAILED);
      await daemon.acknowledge(launch.commandId, "ok", { agent_session_id: "late-agent", pid: 4242, provider: "claude_code" });
      // What the caller was told is what happened: the agent that started late is stopped.
      await pollUntil(() => daemon.stops.find((s) => s.kind.case === "stop" && s.kind.value.sessionId === sessionId), {
        what: "a stop for the late agent",
      });
      const session = await waitForState(sessionId, SessionState.FAILED);
      expect(session.pid).toBe(4242);
      expect(session.errorMessage).toContain("did not acknowledge the launch");
    } finally {
      daemon.stop();
    }
  });
});

describe("Idempotency-Key", () => {
  it("replays the first result even after the machine went offline, and lets a retry run when nothing was started", async () => {
    const daemon = startFakeDaemon(stack.url, await machineToken("flaky"), { autoAck: () => ({ pid: 7, provider: "claude_code" }) });
    await stack.waitOnline("flaky", true);
    const headers = { ...auth().headers, "Idempotency-Key": "launch-flaky-1" };
    const request = launchRequest(stack.workspaceId, seedRequest({ machine_id: "flaky" }));
    const first = await sessions().launchWorkspaceSession(request, { headers });
    expect(first.status).toBe("ok");
    daemon.stop();
    await stack.waitOnline("flaky", false);
    const retry = await sessions().launchWorkspaceSession(request, { headers });
    expect(retry).toEqual(first);
    expect(daemon.launches).toHaveLength(1);

    const offlineHeaders = { ...auth().headers, "Idempotency-Key": "launch-flaky-2" };
    expect((await errorOf(sessions().launchWorkspaceSession(request, { headers: offlineHeaders }))).code).toBe(Code.Unavailable);
    const back = startFakeDaemon(stack.url, await stack.admin("create-token", "--machine", "flaky").then((out) => out.trim().split("\n").at(-1)!), {
      autoAck: () => ({ pid: 8 }),
    });
    await stack.waitOnline("flaky", true);
    const ran = await sessions().launchWorkspaceSession(request, { headers: offlineHeaders });
    expect(ran.status).toBe("ok");
    expect(back.launches).toHaveLength(1);
    back.stop();
  });
});
