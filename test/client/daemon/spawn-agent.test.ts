import { access } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type RunningAgent, spawnAgent } from "../../../client/daemon/spawn-agent.js";
import { codexThreadId, createStandInAgents, isAlive, type StandInAgents } from "./stand-in-agents.js";

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

async function start(bin: string, args: string[] = [], startupWindowMs = 200): Promise<RunningAgent> {
  const agent = await spawnAgent({ bin, args, cwd: agents.dir, startupWindowMs });
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
    expect(record).toEqual({ pid: agent.pid, argv: args, cwd: agents.dir, at: record.at });
  });

  it("fails with binary_not_found naming a missing binary", async () => {
    const missing = path.join(agents.dir, "no-such-claude");
    const error = await spawnAgent({ bin: missing, args: [], cwd: agents.dir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "binary_not_found" });
    expect((error as Error).message).toContain(missing);
  });

  it("fails with binary_not_executable for a file without the executable bit", async () => {
    const error = await spawnAgent({ bin: agents.notExecutable, args: [], cwd: agents.dir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "binary_not_executable" });
  });

  it("fails with work_dir_missing when the directory is gone", async () => {
    await expect(
      spawnAgent({ bin: agents.sleeper, args: [], cwd: path.join(agents.dir, "gone") }),
    ).rejects.toMatchObject({ code: "work_dir_missing" });
  });

  it("fails with agent_exited, the exit code and the stderr tail when the agent dies at once", async () => {
    const error = await spawnAgent({ bin: agents.exitThree, args: [], cwd: agents.dir, startupWindowMs: 10_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "agent_exited" });
    expect((error as Error).message).toContain("exited with code 3");
    expect((error as Error).message).toContain("fatal: model not available");
  });

  it("resolves an agent that exits 0 within the window as already exited", async () => {
    const agent = await spawnAgent({ bin: agents.exitZero, args: [], cwd: agents.dir, startupWindowMs: 10_000 });
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    expect(await agent.stop(100)).toBe("already_exited");
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
});
