import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createAgentRegistry, type AgentEntry } from "../../../client/daemon/create-agent-registry.js";
import { createAgentTable } from "../../../client/daemon/create-agent-table.js";
import { agentSessionVariable, findMarkedAgent } from "../../../client/daemon/find-marked-agent.js";
import { processStartTime } from "../../../client/daemon/process-identity.js";
import { restoreAgents } from "../../../client/daemon/restore-agents.js";

// Spawns processes: in the e2e project.
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function marked(sessionId: string): ChildProcess {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], {
    env: { ...process.env, [agentSessionVariable]: sessionId },
    stdio: "ignore",
  });
  children.push(child);
  return child;
}

describe("findMarkedAgent", () => {
  it("finds the process started with the session in its environment, and no other", async () => {
    const child = marked("s-marked-1");
    marked("s-marked-10");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(findMarkedAgent("s-marked-1")).toEqual({ pid: child.pid, startTime: processStartTime(child.pid!) });
    expect(findMarkedAgent("s-not-started")).toBeUndefined();
  });

  it("lets a restarted daemon adopt the agent of an entry written before its spawn (pid 0)", async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), "wsctl-marked-"));
    dirs.push(stateDir);
    const registry = createAgentRegistry({ stateDir });
    await registry.init();
    const logs = registry.logPaths("s-pre-spawn");
    const entry: AgentEntry = {
      session_id: "s-pre-spawn",
      workspace_id: "ws1",
      agent_session_id: "a1",
      pid: 0,
      start_time: "",
      provider: "claude_code",
      model: "",
      work_dir: stateDir,
      branch: "main",
      started_at: new Date().toISOString(),
      stdout_path: logs.stdout,
      stderr_path: logs.stderr,
      daemon_key: "k",
    };
    registry.writeNow(entry);
    registry.writeNow({ ...entry, session_id: "s-never-spawned" });
    const child = marked("s-pre-spawn");
    await new Promise((resolve) => setTimeout(resolve, 100));

    const lines: string[] = [];
    const restored = await restoreAgents({ registry, daemonKeys: ["k"], agents: createAgentTable(), log: (line) => lines.push(line) });
    expect(restored.adopted.map((a) => [a.sessionId, a.record.agent.pid])).toEqual([["s-pre-spawn", child.pid]]);
    expect(restored.ended.map((e) => e.session_id)).toEqual(["s-never-spawned"]);
    expect(lines.join("\n")).toContain(`found the agent of session s-pre-spawn (pid ${child.pid})`);
    for (const { record } of restored.adopted) record.agent.release?.();
  });
});
