import { pollUntil } from "../../support/poll-until.js";
import { access, mkdtemp } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AgentBins } from "../../../client/daemon/agent-argv.js";
import { type DaemonOptions, runDaemon } from "../../../client/daemon/run-daemon.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { createFakeDaemonService, type FakeDaemonService } from "./fake-daemon-service.js";
import { createTempGitRepo, type TempGitRepo } from "./temp-git-repo.js";
import { type AgentRunRecord, codexThreadId, createStandInAgents, isAlive, type StandInAgents } from "./stand-in-agents.js";

const token = "machine-token-1";
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let agents: StandInAgents;
let temp: TempGitRepo;
let repo: string;
const running: { abort: AbortController; done: Promise<void> }[] = [];

beforeAll(async () => {
  agents = await createStandInAgents();
  temp = await createTempGitRepo();
  repo = temp.repo;
});

afterEach(async () => {
  for (const daemon of running.splice(0)) {
    daemon.abort.abort();
    await daemon.done;
  }
});

afterAll(async () => {
  await agents.cleanup();
  await temp.cleanup();
});

interface StartedDaemon {
  fake: FakeDaemonService;
  logs: string[];
  abort: AbortController;
  done: Promise<void>;
}

async function startDaemon(
  bins: Partial<AgentBins>,
  options: Partial<DaemonOptions> & { fakeToken?: string } = {},
): Promise<StartedDaemon> {
  const fake = createFakeDaemonService({ token: options.fakeToken ?? token });
  const logs: string[] = [];
  const abort = new AbortController();
  const stateDir = options.stateDir ?? (await mkdtemp(path.join(temp.base, "state-")));
  const done = runDaemon({
    server: "http://fake",
    stateDir,
    token,
    workspaceRoots: new Map([["ws1", repo]]),
    bins: { claude: agents.sleeper, codex: agents.codex, ...bins },
    transport: fake.transport,
    version: "1.2.3",
    hostname: "test-host",
    startupWindowMs: 200,
    backoff: { initialMs: 10, maxMs: 50 },
    shutdownGraceMs: 200,
    ...options,
    signal: abort.signal,
    log: (line) => logs.push(line),
  });
  running.push({ abort, done });
  if (options.fakeToken === undefined) await fake.waitForSubscribes(1);
  return { fake, logs, abort, done };
}

function launch(commandId: string, sessionId: string, request: Record<string, unknown> = {}, workspaceId = "ws1") {
  return {
    commandId,
    kind: { case: "launch" as const, value: { sessionId, workspaceId, request: { workspaceId, ...request } } },
  };
}

function stop(commandId: string, sessionId: string, graceMs: number) {
  const grace = { seconds: BigInt(Math.floor(graceMs / 1000)), nanos: (graceMs % 1000) * 1e6 };
  return { commandId, kind: { case: "stop" as const, value: { sessionId, grace } } };
}

function recordOf(pid: number): Promise<AgentRunRecord> {
  return pollUntil(async () => (await agents.records()).find((r) => r.pid === pid), {
    timeoutMs: 10_000,
    intervalMs: 1,
    what: `the record of pid ${pid}`,
  });
}

describe("runDaemon", () => {
  it("subscribes with its token, version and host name", async () => {
    const { fake } = await startDaemon({});
    expect(fake.subscribeRequests[0]).toMatchObject({ daemonVersion: "1.2.3", hostname: "test-host", runningSessions: [] });
    expect(fake.authorizations[0]).toBe(`Bearer ${token}`);
  });

  it("launches claude in a new worktree, acknowledges, and reports running then exited", async () => {
    const { fake } = await startDaemon({ claude: agents.exitZero }, { startupWindowMs: 10_000 });
    fake.push(
      launch("c1", "s1", {
        worktreeName: "feat/login",
        initialPrompt: "--help me",
        sessionSettings: { code: { providers: { claudeCode: { model: "haiku" } } } },
      }),
    );
    const ack = await fake.waitForAck("c1");
    const workDir = path.join(repo, ".worktrees", "feat__login");
    expect(ack.status).toBe("ok");
    expect(ack.payload).toMatchObject({ provider: "claude_code", model: "haiku", work_dir: workDir, branch: "feat/login" });
    const agentSessionId = ack.payload?.agent_session_id as string;
    expect(agentSessionId).toMatch(uuid);
    const pid = ack.payload?.pid as number;
    expect(await recordOf(pid)).toMatchObject({
      cwd: workDir,
      argv: [
        "--print",
        "--output-format",
        "stream-json",
        "--verbose",
        "--input-format",
        "stream-json",
        "--session-id",
        agentSessionId,
        "--model",
        "haiku",
      ],
    });
    expect(await fake.waitForReport("s1", SessionState.RUNNING)).toMatchObject({ pid });
    // The prompt went to its stdin as a stream-json user event, and is the transcript's first entry.
    expect((fake.transcripts.get("s1") ?? [])[0]).toMatchObject({ offset: 0n, text: "--help me" });
    expect(await fake.waitForReport("s1", SessionState.EXITED)).toMatchObject({ exitCode: 0 });
    expect(fake.reports.filter((r) => r.sessionId === "s1").map((r) => r.state)).toEqual([
      SessionState.RUNNING,
      SessionState.EXITED,
    ]);

    // A second launch on the same branch reuses the worktree; resuming passes --resume.
    fake.push(launch("c2", "s2", { worktreeName: "feat/login", resumeSessionId: agentSessionId }));
    const second = await fake.waitForAck("c2");
    expect(second.status).toBe("ok");
    expect(second.payload).toMatchObject({ work_dir: workDir, branch: "feat/login", agent_session_id: agentSessionId });
    expect((await recordOf(second.payload?.pid as number)).argv).toEqual([
      "--print",
      "--output-format",
      "stream-json",
      "--verbose",
      "--input-format",
      "stream-json",
      "--resume",
      agentSessionId,
    ]);
  });

  it("launches codex with model, thinking, resume and prompt and reports its thread id", async () => {
    const { fake } = await startDaemon({}, { startupWindowMs: 2_000 });
    fake.push(
      launch("c1", "s1", {
        initialPrompt: "-x do it",
        resumeSessionId: "thread-0",
        sessionSettings: { code: { defaultProvider: "codex", providers: { codex: { model: "gpt-5", thinking: "high" } } } },
      }),
    );
    const ack = await fake.waitForAck("c1");
    expect(ack.status).toBe("ok");
    expect(ack.payload).toMatchObject({ provider: "codex", model: "gpt-5", work_dir: repo, branch: "main", agent_session_id: codexThreadId });
    expect((await recordOf(ack.payload?.pid as number)).argv).toEqual([
      "exec",
      "--json",
      "--model",
      "gpt-5",
      "-c",
      "model_reasoning_effort=high",
      "resume",
      "thread-0",
      "--",
      "-x do it",
    ]);
  });

  it("stops an agent with SIGTERM and answers already_exited afterwards", async () => {
    const { fake } = await startDaemon({});
    fake.push(launch("c1", "s1"));
    const pid = (await fake.waitForAck("c1")).payload?.pid as number;
    await fake.waitForReport("s1", SessionState.RUNNING);
    fake.push(stop("c2", "s1", 5_000));
    expect((await fake.waitForAck("c2")).payload).toEqual({ result: "stopped" });
    expect(isAlive(pid)).toBe(false);
    const failed = await fake.waitForReport("s1", SessionState.FAILED);
    expect(failed.message).toContain("SIGTERM");
    fake.push(stop("c3", "s1", 5_000));
    expect(await fake.waitForAck("c3")).toMatchObject({ status: "ok", payload: { result: "already_exited" } });
    fake.push(stop("c4", "never-launched", 5_000));
    expect(await fake.waitForAck("c4")).toMatchObject({ status: "ok", payload: { result: "already_exited" } });
  });

  it("kills an agent that ignores SIGTERM after the grace", async () => {
    const { fake } = await startDaemon({ claude: agents.stubborn });
    fake.push(launch("c1", "s1"));
    const pid = (await fake.waitForAck("c1")).payload?.pid as number;
    await recordOf(pid); // its SIGTERM handler is installed
    const stoppedAt = Date.now();
    fake.push(stop("c2", "s1", 300));
    expect((await fake.waitForAck("c2")).payload).toEqual({ result: "stopped" });
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(300);
    await expect(access(path.join(agents.recordDir, `${pid}.json.sigterm`))).resolves.toBeUndefined();
    expect((await fake.waitForReport("s1", SessionState.FAILED)).message).toContain("SIGKILL");
  });

  it("answers an unknown workspace with an error acknowledgement", async () => {
    const { fake } = await startDaemon({});
    fake.push(launch("c1", "s1", {}, "elsewhere"));
    const ack = await fake.waitForAck("c1");
    expect(ack.status).toBe("error");
    expect(ack.payload).toMatchObject({ provider: "claude_code", work_dir: "", error: { code: "unknown_workspace" } });
    expect(fake.reports).toEqual([]);
  });

  it("attaches to an agent session it runs, and refuses one it does not", async () => {
    const { fake } = await startDaemon({});
    fake.push(launch("c1", "s1"));
    const first = await fake.waitForAck("c1");
    const agentSessionId = first.payload?.agent_session_id as string;
    fake.push(launch("c2", "s2", { agentSessionId }));
    const attached = await fake.waitForAck("c2");
    expect(attached.status).toBe("ok");
    expect(attached.payload).toEqual(first.payload);
    expect(await fake.waitForReport("s2", SessionState.RUNNING)).toMatchObject({ pid: first.payload?.pid });
    // The agent writes its record as it boots, which a loaded machine may not have finished at the ack.
    await recordOf(first.payload?.pid as number);
    expect((await agents.records()).filter((r) => r.pid === first.payload?.pid)).toHaveLength(1);

    fake.push(launch("c3", "s3", { agentSessionId: "not-running-here" }));
    const refused = await fake.waitForAck("c3");
    expect(refused.status).toBe("error");
    expect(refused.payload).toMatchObject({ error: { code: "agent_session_not_found" } });
  });

  it("answers a missing binary with binary_not_found", async () => {
    const missing = path.join(agents.dir, "claude-not-installed");
    const { fake } = await startDaemon({ claude: missing });
    fake.push(launch("c1", "s1", { sessionSettings: { code: { providers: { claudeCode: { model: "opus" } } } } }));
    const ack = await fake.waitForAck("c1");
    expect(ack.status).toBe("error");
    expect(ack.payload).toMatchObject({ provider: "claude_code", model: "opus", work_dir: repo, branch: "main" });
    expect(ack.payload?.error).toMatchObject({ code: "binary_not_found" });
    expect(String((ack.payload?.error as { message?: string } | undefined)?.message)).toContain(missing);
  });

  it("answers an agent that exits non-zero at once with its stderr tail", async () => {
    const { fake } = await startDaemon({ claude: agents.exitThree }, { startupWindowMs: 10_000 });
    fake.push(launch("c1", "s1"));
    const ack = await fake.waitForAck("c1");
    expect(ack.status).toBe("error");
    expect(ack.payload?.error).toMatchObject({ code: "agent_exited" });
    expect(String((ack.payload?.error as { message?: string } | undefined)?.message)).toMatch(/code 3.*fatal: model not available/s);
  });

  it("answers an invalid worktree name with an error acknowledgement", async () => {
    const { fake } = await startDaemon({});
    fake.push(launch("c1", "s1", { worktreeName: "../outside" }));
    const ack = await fake.waitForAck("c1");
    expect(ack).toMatchObject({ status: "error", payload: { error: { code: "invalid_branch_name" } } });
  });

  it("acknowledges a re-sent command again without launching twice", async () => {
    const { fake } = await startDaemon({});
    const since = Date.now();
    fake.push(launch("c1", "s1"));
    const first = await fake.waitForAck("c1");
    await recordOf(first.payload?.pid as number);
    fake.push(launch("c1", "s1"));
    await expect.poll(() => fake.acks.filter((a) => a.commandId === "c1").length, { timeout: 10_000 }).toBe(2);
    expect(fake.acks[1]?.payload).toEqual(first.payload);
    expect((await agents.records()).filter((r) => r.at >= since)).toHaveLength(1);
  });

  it("reconnects after the stream ends and reports the agents it still runs", async () => {
    const { fake, logs } = await startDaemon({});
    fake.push(launch("c1", "s1"));
    const ack = await fake.waitForAck("c1");
    fake.endStream();
    await fake.waitForSubscribes(2);
    expect(fake.subscribeRequests[1]?.runningSessions).toMatchObject([
      { sessionId: "s1", pid: ack.payload?.pid, agentSessionId: ack.payload?.agent_session_id },
    ]);
    expect(logs.some((line) => line.includes("stream ended"))).toBe(true);
    // The new stream works.
    fake.push(stop("c2", "s1", 1_000));
    expect((await fake.waitForAck("c2")).payload).toEqual({ result: "stopped" });
  });

  it("keeps retrying when the server refuses the token", async () => {
    const { fake, logs } = await startDaemon({}, { fakeToken: "another-token" });
    await expect.poll(() => fake.authorizations.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    expect(logs.some((line) => line.includes("refused the machine token"))).toBe(true);
  });

  it("stops its agents on shutdown and reports them", async () => {
    const { fake, abort, done } = await startDaemon({});
    fake.push(launch("c1", "s1"));
    const pid = (await fake.waitForAck("c1")).payload?.pid as number;
    await fake.waitForReport("s1", SessionState.RUNNING);
    abort.abort();
    await done;
    expect(isAlive(pid)).toBe(false);
    expect((await fake.waitForReport("s1", SessionState.FAILED)).message).toContain("after a stop request");
  });

  it("leaves its agents running on shutdown with keepAgentsOnExit", async () => {
    const { fake, abort, done } = await startDaemon({}, { keepAgentsOnExit: true });
    fake.push(launch("c1", "s1"));
    const pid = (await fake.waitForAck("c1")).payload?.pid as number;
    abort.abort();
    await done;
    try {
      expect(isAlive(pid)).toBe(true);
    } finally {
      process.kill(pid, "SIGKILL");
    }
  });
});
