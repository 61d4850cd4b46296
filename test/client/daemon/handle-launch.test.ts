import { mkdtemp } from "node:fs/promises";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgentRegistry } from "../../../client/daemon/agent-registry.js";
import { createAgentTable } from "../../../client/daemon/agent-table.js";
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
