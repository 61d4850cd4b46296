import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgentRegistry } from "../../../client/daemon/create-agent-registry.js";
import { createAgentTable } from "../../../client/daemon/create-agent-table.js";
import { handleLaunch, type LaunchContext } from "../../../client/daemon/handle-launch.js";
import { LaunchCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { pollUntil } from "../../support/poll-until.js";
import { createStandInAgents, type StandInAgents } from "./stand-in-agents.js";
import { createTempGitRepo, type TempGitRepo } from "./temp-git-repo.js";

let agents: StandInAgents;
let temp: TempGitRepo;

beforeAll(async () => {
  agents = await createStandInAgents();
  temp = await createTempGitRepo();
});

afterAll(async () => {
  await agents.cleanup();
  await temp.cleanup();
});

async function context(overrides: Partial<LaunchContext> = {}): Promise<LaunchContext> {
  const registry = createAgentRegistry({ stateDir: await mkdtemp(path.join(temp.base, "state-")) });
  await registry.init();
  return {
    workspaceRoots: new Map([["ws1", temp.repo]]),
    bins: { claude: agents.graceful, codex: agents.codex },
    agents: createAgentTable(),
    registry,
    daemonKey: "key",
    startupWindowMs: 100,
    ...overrides,
  };
}

function launchCommand(sessionId: string, deadlineMs: number | undefined, worktreeName?: string) {
  return create(LaunchCommandSchema, {
    sessionId,
    workspaceId: "ws1",
    request: { workspaceId: "ws1", ...(worktreeName !== undefined ? { worktreeName } : {}) },
    ...(deadlineMs !== undefined ? { deadline: timestampFromMs(deadlineMs) } : {}),
  });
}

describe("handleLaunch", () => {
  it("does not start an agent for a launch that arrives after its deadline", async () => {
    const ctx = await context();
    const result = await handleLaunch(ctx, launchCommand("s1", Date.now() - 1_000, "late-arrival"));
    expect(result).toMatchObject({
      status: "error",
      payload: { error: { code: "deadline_exceeded", message: expect.stringMatching(/arrived \d+ ms after its deadline/) } },
    });
    expect(await agents.records()).toEqual([]);
    // Nothing was done on the machine: not even the worktree.
    expect(existsSync(path.join(temp.repo, ".worktrees", "late-arrival"))).toBe(false);
    expect(await ctx.registry.load()).toEqual([]);
  });

  it("does not start the agent when the deadline passes while the worktree is created", async () => {
    const deadline = Date.now() + 60_000;
    const worktree = path.join(temp.repo, ".worktrees", "slow-git");
    // The clock jumps past the deadline once git has created the worktree.
    const now = () => (existsSync(worktree) ? deadline + 5 : deadline - 60_000);
    const ctx = await context({ now });
    const result = await handleLaunch(ctx, launchCommand("s2", deadline, "slow-git"));
    expect(result).toMatchObject({
      status: "error",
      payload: {
        work_dir: worktree,
        branch: "slow-git",
        error: { code: "deadline_exceeded", message: expect.stringContaining("before its agent could be started") },
      },
    });
    expect(existsSync(worktree)).toBe(true);
    expect(await agents.records()).toEqual([]);
    expect(await ctx.registry.load()).toEqual([]);
  });

  it("starts the agent before its deadline, and without one (servers that predate it)", async () => {
    const ctx = await context();
    for (const [sessionId, deadline] of [
      ["s3", Date.now() + 60_000],
      ["s4", undefined],
    ] as const) {
      const result = await handleLaunch(ctx, launchCommand(sessionId, deadline));
      expect(result.status).toBe("ok");
      const record = result.watch!;
      try {
        expect((await ctx.registry.load()).map((entry) => entry.session_id)).toContain(sessionId);
      } finally {
        await record.agent.stop(1_000);
      }
    }
  });

  it("records the agent's entry as soon as its process exists, before its startup window ends", async () => {
    const ctx = await context({ startupWindowMs: 60_000 });
    const result = handleLaunch(ctx, launchCommand("s5", undefined));
    const [entry] = await pollUntil(async () => {
      const entries = await ctx.registry.load();
      return entries.length > 0 ? entries : undefined;
    }, { timeoutMs: 10_000, what: "the agent's registry entry" });
    expect(entry).toMatchObject({ session_id: "s5", workspace_id: "ws1", provider: "claude_code", daemon_key: "key" });
    expect(entry!.start_time).not.toBe("");
    // Ends the startup window: the stand-in exits 0 on SIGTERM once it has recorded its start.
    await pollUntil(async () => (await agents.records()).some((r) => r.pid === entry!.pid), { timeoutMs: 10_000 });
    process.kill(entry!.pid, "SIGTERM");
    const done = await result;
    expect(done).toMatchObject({ status: "ok", payload: { pid: entry!.pid } });
  });
});
