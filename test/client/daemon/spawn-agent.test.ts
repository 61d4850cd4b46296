import { access, chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { processStartTime } from "../../../client/daemon/process-identity.js";
import { type RunningAgent, type SpawnAgentOptions, spawnAgent } from "../../../client/daemon/spawn-agent.js";
import { claudeSessionId, codexThreadId, createStandInAgents, isAlive, type StandInAgents } from "./stand-in-agents.js";

let agents: StandInAgents;
const started: RunningAgent[] = [];

beforeAll(async () => {
  agents = await createStandInAgents();
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((agent) => agent.stop(100)));
});

afterAll(async () => {
  await agents.cleanup();
});

let runs = 0;

/** spawnAgent's options with fresh output files in the stand-ins' dir. */
function spawnOptions(bin: string, more: Partial<SpawnAgentOptions> = {}): SpawnAgentOptions {
  const stem = path.join(agents.dir, `run-${++runs}`);
  return { bin, args: [], cwd: agents.dir, stdoutPath: `${stem}.stdout.log`, stderrPath: `${stem}.stderr.log`, ...more };
}

async function start(bin: string, args: string[] = [], startupWindowMs = 200): Promise<RunningAgent> {
  const agent = await spawnAgent(spawnOptions(bin, { args, startupWindowMs }));
  started.push(agent);
  return agent;
}

describe("spawnAgent", () => {
  it("resolves with a running process after the startup window, argv passed verbatim", async () => {
    const args = ["--print", "--", "$(touch /tmp/pwned) && -x ; 'quoted' \"dq\""];
    const agent = await start(agents.sleeper, args);
    expect(agent.pid).toBeGreaterThan(0);
    expect(isAlive(agent.pid)).toBe(true);
    expect(agent.exitStatus()).toBeUndefined();
    const record = await vi.waitFor(
      async () => {
        const found = (await agents.records()).find((r) => r.pid === agent.pid);
        if (found === undefined) throw new Error("no record yet");
        return found;
      },
      { timeout: 10_000 },
    );
    expect(record).toEqual({ pid: agent.pid, argv: args, cwd: agents.dir, at: record.at, wsctlEnv: record.wsctlEnv });
  });

  it("fails with binary_not_found naming a missing binary", async () => {
    const missing = path.join(agents.dir, "no-such-claude");
    const error = await spawnAgent(spawnOptions(missing)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "binary_not_found" });
    expect((error as Error).message).toContain(missing);
  });

  it("fails with binary_not_executable for a file without the executable bit", async () => {
    const error = await spawnAgent(spawnOptions(agents.notExecutable)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "binary_not_executable" });
  });

  it("fails with work_dir_missing when the directory is gone", async () => {
    await expect(
      spawnAgent(spawnOptions(agents.sleeper, { cwd: path.join(agents.dir, "gone") })),
    ).rejects.toMatchObject({ code: "work_dir_missing" });
  });

  it("fails with agent_exited, the exit code and the stderr tail when the agent dies at once", async () => {
    const error = await spawnAgent(spawnOptions(agents.exitThree, { startupWindowMs: 10_000 })).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "agent_exited" });
    expect((error as Error).message).toContain("exited with code 3");
    expect((error as Error).message).toContain("fatal: model not available");
  });

  it("resolves an agent that exits 0 within the window as already exited", async () => {
    const agent = await spawnAgent(spawnOptions(agents.exitZero, { startupWindowMs: 10_000 }));
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    expect(await agent.stop(100)).toBe("already_exited");
  });

  it("resolves as soon as Claude Code says init, long before the window ends", async () => {
    const began = Date.now();
    const agent = await spawnAgent(spawnOptions(agents.claudeInit, { startupWindowMs: 20_000, proofOfLife: "claude_code" }));
    started.push(agent);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(agent.exitStatus()).toBeUndefined();
    expect(agent.agentSessionId).toBe(claudeSessionId);
  });

  it("resolves at codex's first JSON event, and waits the window out for an agent that says nothing", async () => {
    const began = Date.now();
    const codex = await spawnAgent(spawnOptions(agents.codex, { startupWindowMs: 20_000, proofOfLife: "codex" }));
    started.push(codex);
    expect(Date.now() - began).toBeLessThan(10_000);
    const quietStart = Date.now();
    const quiet = await spawnAgent(spawnOptions(agents.sleeper, { startupWindowMs: 400, proofOfLife: "claude_code" }));
    started.push(quiet);
    expect(Date.now() - quietStart).toBeGreaterThanOrEqual(400);
  });

  it("fails as soon as an agent exits before proving it is alive, whatever the window", async () => {
    const began = Date.now();
    const failure = await spawnAgent(spawnOptions(agents.exitThree, { startupWindowMs: 20_000, proofOfLife: "claude_code" })).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: "agent_exited" });
    expect(Date.now() - began).toBeLessThan(10_000);
  });

  it("picks up a codex thread id from stdout during the window", async () => {
    const agent = await start(agents.codex, ["exec", "--json"], 200);
    await vi.waitFor(() => expect(agent.agentSessionId).toBe(codexThreadId), { timeout: 10_000 });
    expect(agent.stdoutLines()[0]).toContain("thread.started");
  });

  it("stops an agent with SIGTERM", async () => {
    const agent = await start(agents.sleeper);
    expect(await agent.stop(5_000)).toBe("stopped");
    expect(await agent.exited).toEqual({ code: null, signal: "SIGTERM" });
    expect(isAlive(agent.pid)).toBe(false);
  });

  it("kills an agent that ignores SIGTERM after the grace", async () => {
    const agent = await start(agents.stubborn);
    const recordFile = path.join(agents.recordDir, `${agent.pid}.json`);
    // The stand-in writes its record after installing its SIGTERM handler.
    await vi.waitFor(() => access(recordFile), { timeout: 10_000 });
    expect(await agent.stop(300)).toBe("stopped");
    expect(await agent.exited).toEqual({ code: null, signal: "SIGKILL" });
    await expect(access(`${recordFile}.sigterm`)).resolves.toBeUndefined();
  });

  it("runs the agent as the leader of its own process group, with its start time", async () => {
    const agent = await start(agents.sleeper);
    const stat = await readFile(`/proc/${agent.pid}/stat`, "utf8");
    const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    expect(pgrp).toBe(agent.pid);
    expect(agent.startTime).toBe(processStartTime(agent.pid));
    expect(agent.startTime).not.toBe("");
  });

  it("writes stdout and stderr to the given files", async () => {
    const options = spawnOptions(agents.exitThree, { startupWindowMs: 10_000 });
    await spawnAgent(options).catch(() => undefined);
    expect(await readFile(options.stderrPath, "utf8")).toBe("fatal: model not available\n");
    const codex = await start(agents.codex, [], 200);
    await vi.waitFor(() => expect(codex.agentSessionId).toBe(codexThreadId), { timeout: 10_000 });
    expect(await readFile(codex.stdoutPath, "utf8")).toContain(`"thread_id":"${codexThreadId}"`);
  });

  it("stops the agent's whole process group", async () => {
    const pidFile = path.join(agents.dir, "grandchild.pid");
    const bin = path.join(agents.dir, "agent-with-child");
    await writeFile(
      bin,
      `#!/usr/bin/env node
const { spawn } = require("node:child_process");
const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
setInterval(() => {}, 1 << 30);
`,
    );
    await chmod(bin, 0o755);
    const agent = await start(bin);
    const grandchild = Number(await vi.waitFor(() => readFile(pidFile, "utf8"), { timeout: 10_000 }));
    expect(isAlive(grandchild)).toBe(true);
    expect(await agent.stop(5_000)).toBe("stopped");
    await vi.waitFor(() => expect(isAlive(grandchild)).toBe(false), { timeout: 10_000 });
  });
});
