import { access, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type AgentEntry, daemonKey } from "../../../client/daemon/create-agent-registry.js";
import { adoptedExitMessage, endedUnwatchedMessage } from "../../../client/daemon/create-command-dispatcher.js";
import { processStartTime } from "../../../client/daemon/process-identity.js";
import type { DaemonOptions } from "../../../client/daemon/run-daemon.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { type StartedDaemon, useDaemonTestBed } from "./use-daemon-test-bed.js";
import { isAlive } from "./stand-in-agents.js";

// A daemon that dies (simulated in-process: aborted with keepAgentsOnExit, so
// it neither stops nor reports its agents) and a new daemon started with the
// same state directory, which must find the agents from disk alone.

const token = "machine-token-1";
const server = "http://fake";
const bed = useDaemonTestBed(token);
const startDaemon = (stateDir: string, options: Partial<DaemonOptions> = {}) => bed.startDaemon({ stateDir, ...options });

/** Simulates the daemon dying: it stops without touching its bed.agents. */
async function crash(daemon: StartedDaemon): Promise<void> {
  daemon.abort.abort();
  await daemon.done;
}

function launch(commandId: string, sessionId: string, request: Record<string, unknown> = {}) {
  return {
    commandId,
    kind: { case: "launch" as const, value: { sessionId, workspaceId: "ws1", request: { workspaceId: "ws1", ...request } } },
  };
}

function stop(commandId: string, sessionId: string, graceMs: number) {
  const grace = { seconds: BigInt(Math.floor(graceMs / 1000)), nanos: (graceMs % 1000) * 1e6 };
  return { commandId, kind: { case: "stop" as const, value: { sessionId, grace } } };
}

const newStateDir = () => bed.newStateDir();
const entryFile = (stateDir: string, sessionId: string) => path.join(stateDir, "agents", `${sessionId}.json`);
const readEntry = async (stateDir: string, sessionId: string) =>
  JSON.parse(await readFile(entryFile(stateDir, sessionId), "utf8")) as AgentEntry;
const exists = (file: string) => access(file).then(
  () => true,
  () => false,
);

/** Launches the graceful stand-in for `sessionId` and returns its pid once it is set up. */
async function launchAgent(daemon: StartedDaemon, sessionId: string): Promise<{ pid: number; agentSessionId: string }> {
  daemon.fake.push(launch(`launch-${sessionId}`, sessionId));
  const ack = await daemon.fake.waitForAck(`launch-${sessionId}`);
  expect(ack.status).toBe("ok");
  const pid = ack.payload?.pid as number;
  bed.leave(pid);
  // The stand-in writes its record once its SIGTERM handler is installed.
  await expect.poll(() => exists(path.join(bed.agents.recordDir, `${pid}.json`)), { timeout: 10_000 }).toBe(true);
  return { pid, agentSessionId: ack.payload?.agent_session_id as string };
}

describe("runDaemon after a restart", () => {
  it("keeps a registry entry per running agent, with its output in files", async () => {
    const stateDir = await newStateDir();
    const daemon = await startDaemon(stateDir);
    const { pid, agentSessionId } = await launchAgent(daemon, "s1");
    const entry = await readEntry(stateDir, "s1");
    expect(entry).toMatchObject({
      session_id: "s1",
      workspace_id: "ws1",
      agent_session_id: agentSessionId,
      pid,
      start_time: processStartTime(pid),
      provider: "claude_code",
      model: "",
      work_dir: bed.temp.repo,
      branch: "main",
      stdout_path: path.join(stateDir, "agents", "s1.stdout.log"),
      stderr_path: path.join(stateDir, "agents", "s1.stderr.log"),
      daemon_key: daemonKey(server, token),
    });
    expect(entry.start_time).not.toBe("");
    expect(Date.parse(entry.started_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(await exists(entry.stdout_path)).toBe(true);

    // Once its end is reported, the entry and its output files are gone.
    daemon.fake.push(stop("c2", "s1", 5_000));
    expect((await daemon.fake.waitForAck("c2")).payload).toEqual({ result: "stopped" });
    expect(await daemon.fake.waitForReport("s1", SessionState.EXITED)).toMatchObject({ exitCode: 0 });
    await expect.poll(() => exists(entryFile(stateDir, "s1")), { timeout: 10_000 }).toBe(false);
    expect(await exists(entry.stdout_path)).toBe(false);
  });

  it("adopts an agent left running, lists it when subscribing, and stops it with SIGTERM", async () => {
    const stateDir = await newStateDir();
    const first = await startDaemon(stateDir, { keepAgentsOnExit: true });
    const { pid, agentSessionId } = await launchAgent(first, "s1");
    await first.fake.waitForReport("s1", SessionState.RUNNING);
    await crash(first);
    expect(isAlive(pid)).toBe(true);

    const second = await startDaemon(stateDir);
    expect(second.fake.subscribeRequests[0]?.runningSessions).toMatchObject([{ sessionId: "s1", pid, agentSessionId }]);
    expect(second.fake.subscribeRequests[0]?.runningSessions).toHaveLength(1);

    second.fake.push(stop("c2", "s1", 5_000));
    expect((await second.fake.waitForAck("c2")).payload).toEqual({ result: "stopped" });
    expect(await exists(path.join(bed.agents.recordDir, `${pid}.json.sigterm`))).toBe(true);
    expect(isAlive(pid)).toBe(false);
    const exited = await second.fake.waitForReport("s1", SessionState.EXITED);
    expect(exited.exitCode).toBeUndefined();
    expect(exited.message).toBe(adoptedExitMessage);
    await expect.poll(() => exists(entryFile(stateDir, "s1")), { timeout: 10_000 }).toBe(false);
    // The first daemon, gone, reported nothing about the end.
    expect(first.fake.reports.map((r) => r.state)).toEqual([SessionState.RUNNING]);
  });

  it("reports the exit of an adopted agent that ends on its own", async () => {
    const stateDir = await newStateDir();
    const first = await startDaemon(stateDir, { keepAgentsOnExit: true });
    const { pid } = await launchAgent(first, "s1");
    await crash(first);
    const second = await startDaemon(stateDir);
    expect(second.fake.subscribeRequests[0]?.runningSessions).toMatchObject([{ sessionId: "s1", pid }]);
    process.kill(pid, "SIGKILL");
    const exited = await second.fake.waitForReport("s1", SessionState.EXITED);
    expect(exited).toMatchObject({ message: adoptedExitMessage });
    expect(exited.exitCode).toBeUndefined();
    // A later stop finds nothing to stop.
    second.fake.push(stop("c2", "s1", 1_000));
    expect((await second.fake.waitForAck("c2")).payload).toEqual({ result: "already_exited" });
  });

  it("reports once an agent that died while no daemon ran", async () => {
    const stateDir = await newStateDir();
    const first = await startDaemon(stateDir, { keepAgentsOnExit: true });
    const { pid } = await launchAgent(first, "s1");
    await crash(first);
    process.kill(pid, "SIGKILL");
    await expect.poll(() => isAlive(pid), { timeout: 10_000 }).toBe(false);

    const second = await startDaemon(stateDir);
    expect(second.fake.subscribeRequests[0]).toMatchObject({ runningSessions: [], endedSessions: ["s1"] });
    const exited = await second.fake.waitForReport("s1", SessionState.EXITED);
    expect(exited.message).toBe(endedUnwatchedMessage);
    expect(exited.exitCode).toBeUndefined();
    await expect.poll(() => exists(entryFile(stateDir, "s1")), { timeout: 10_000 }).toBe(false);
    await crash(second);

    const third = await startDaemon(stateDir);
    third.fake.push(launch("c9", "s9"));
    await third.fake.waitForReport("s9", SessionState.RUNNING);
    expect(second.fake.reports.filter((r) => r.sessionId === "s1")).toHaveLength(1);
    expect(third.fake.reports.filter((r) => r.sessionId === "s1")).toEqual([]);
  });

  it("does not adopt a reused pid: same pid, other start time", async () => {
    const stateDir = await newStateDir();
    await startDaemon(stateDir).then(crash); // creates the directory
    const ownStart = processStartTime(process.pid);
    expect(ownStart).not.toBe("");
    const entry: AgentEntry = {
      session_id: "s-reused",
      workspace_id: "ws1",
      agent_session_id: "agent-1",
      pid: process.pid,
      start_time: String(Number(ownStart) + 1),
      provider: "claude_code",
      model: "",
      work_dir: bed.temp.repo,
      branch: "",
      started_at: new Date().toISOString(),
      stdout_path: path.join(stateDir, "agents", "s-reused.stdout.log"),
      stderr_path: path.join(stateDir, "agents", "s-reused.stderr.log"),
      daemon_key: daemonKey(server, token),
    };
    await writeFile(entryFile(stateDir, "s-reused"), JSON.stringify(entry));
    // An entry of another daemon (other token) sharing the directory is left alone.
    const foreign = { ...entry, session_id: "s-foreign", daemon_key: daemonKey(server, "other-token") };
    await writeFile(entryFile(stateDir, "s-foreign"), JSON.stringify(foreign));

    const daemon = await startDaemon(stateDir);
    expect(daemon.fake.subscribeRequests[0]?.runningSessions).toEqual([]);
    expect((await daemon.fake.waitForReport("s-reused", SessionState.EXITED)).message).toBe(endedUnwatchedMessage);
    await expect.poll(() => exists(entryFile(stateDir, "s-reused")), { timeout: 10_000 }).toBe(false);
    expect(await exists(entryFile(stateDir, "s-foreign"))).toBe(true);
    expect(daemon.fake.reports.some((r) => r.sessionId === "s-foreign")).toBe(false);
  });

  it("keeps reports the server could not take, lists their sessions as ended when subscribing, and delivers them", async () => {
    const stateDir = await newStateDir();
    const daemon = await startDaemon(stateDir, { bins: { claude: bed.agents.exitZero, codex: bed.agents.codex }, startupWindowMs: 10_000 });
    daemon.fake.failReports = true;
    daemon.fake.push(launch("c1", "s1"));
    expect((await daemon.fake.waitForAck("c1")).status).toBe("ok");
    await expect.poll(async () => (await readEntry(stateDir, "s1").catch(() => undefined))?.exit, { timeout: 15_000 }).toEqual({
      state: "exited",
      exit_code: 0,
      message: "",
    });
    await expect.poll(() => daemon.logs.some((l) => l.includes("kept to send after reconnecting")), { timeout: 15_000 }).toBe(true);
    expect(daemon.fake.reports).toEqual([]);

    daemon.fake.failReports = false;
    daemon.fake.endStream();
    await daemon.fake.waitForSubscribes(2);
    // Not running, and not lost either: its end is on its way.
    expect(daemon.fake.subscribeRequests[1]).toMatchObject({ runningSessions: [], endedSessions: ["s1"] });
    await daemon.fake.waitForReport("s1", SessionState.EXITED);
    expect(daemon.fake.reports.map((r) => [r.sessionId, r.state, r.exitCode])).toEqual([
      ["s1", SessionState.RUNNING, undefined],
      ["s1", SessionState.EXITED, 0],
    ]);
    await expect.poll(() => exists(entryFile(stateDir, "s1")), { timeout: 10_000 }).toBe(false);
  });

  it("lists a recorded but undelivered exit as ended after a restart, and reports it with its code", async () => {
    const stateDir = await newStateDir();
    const first = await startDaemon(stateDir, { keepAgentsOnExit: true });
    first.fake.failReports = true;
    first.fake.push(launch("c1", "s1"));
    expect((await first.fake.waitForAck("c1")).status).toBe("ok");
    const pid = (await first.fake.waitForAck("c1")).payload?.pid as number;
    // The stand-in exits 0 on SIGTERM once its handler is installed, which it records.
    await expect.poll(() => exists(path.join(bed.agents.recordDir, `${pid}.json`)), { timeout: 10_000 }).toBe(true);
    process.kill(pid, "SIGTERM");
    await expect.poll(async () => (await readEntry(stateDir, "s1").catch(() => undefined))?.exit?.state, { timeout: 15_000 }).toBe(
      "exited",
    );
    await crash(first);

    const second = await startDaemon(stateDir);
    expect(second.fake.subscribeRequests[0]?.runningSessions).toEqual([]);
    expect(await second.fake.waitForReport("s1", SessionState.EXITED)).toMatchObject({ exitCode: 0, message: "" });
    await expect.poll(() => exists(entryFile(stateDir, "s1")), { timeout: 10_000 }).toBe(false);
  });
});
