import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgentRegistry } from "../../../client/daemon/create-agent-registry.js";
import { ensureWorktree } from "../../../client/daemon/ensure-worktree.js";
import { processStartTime } from "../../../client/daemon/process-identity.js";
import { pruneWorktrees } from "../../../client/daemon/prune-worktrees.js";
import { runDaemonCommand } from "../../../client/wsctl/daemon-command.js";
import { runCli } from "../fake-workspace-server.js";
import { createTempGitRepo, type TempGitRepo } from "./temp-git-repo.js";

let temp: TempGitRepo;
beforeAll(async () => {
  temp = await createTempGitRepo();
});
afterAll(async () => {
  await temp.cleanup();
});

/** A state directory whose registry says a live process works in `workDir`. */
async function stateWithAgentIn(workDir: string): Promise<{ stateDir: string; stop: () => void }> {
  const stateDir = await mkdtemp(path.join(temp.base, "state-"));
  const registry = createAgentRegistry({ stateDir });
  await registry.init();
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
  const pid = child.pid!;
  await registry.write({
    session_id: "s-live", workspace_id: "ws1", agent_session_id: "", pid, start_time: processStartTime(pid), provider: "claude_code",
    model: "", work_dir: workDir, branch: "busy", started_at: new Date().toISOString(), stdout_path: "", stderr_path: "", daemon_key: "k",
  });
  return { stateDir, stop: () => child.kill("SIGKILL") };
}

describe("pruneWorktrees", () => {
  it("removes finished clean worktrees and keeps busy and dirty ones, the branches and the main checkout", async () => {
    const done = await ensureWorktree({ repoDir: temp.repo, branch: "done/one" });
    const busy = await ensureWorktree({ repoDir: temp.repo, branch: "busy" });
    const dirty = await ensureWorktree({ repoDir: temp.repo, branch: "dirty" });
    await writeFile(path.join(dirty.workDir, "wip.txt"), "not committed\n");
    temp.git(["worktree", "add", "-b", "elsewhere", path.join(temp.base, "elsewhere")]);
    const { stateDir, stop } = await stateWithAgentIn(busy.workDir);
    try {
      const roots = new Map([["ws1", temp.repo]]);
      const dry = await pruneWorktrees({ workspaceRoots: roots, stateDir, dryRun: true });
      expect(dry.find((r) => r.workDir === done.workDir)?.outcome).toBe("would remove");
      expect(existsSync(done.workDir)).toBe(true);

      const results = await pruneWorktrees({ workspaceRoots: roots, stateDir });
      const outcome = Object.fromEntries(results.map((r) => [r.branch, `${r.outcome}${r.reason ? `: ${r.reason}` : ""}`]));
      console.log(`pruneWorktrees: ${JSON.stringify(outcome)}`);
      expect(outcome).toEqual({
        "done/one": "removed",
        busy: "kept: in use by the agent of session s-live",
        dirty: "kept: it has uncommitted changes (use --force to remove them with it)",
      });
      expect(existsSync(done.workDir)).toBe(false);
      expect(existsSync(busy.workDir) && existsSync(dirty.workDir) && existsSync(path.join(temp.base, "elsewhere"))).toBe(true);
      expect(temp.git(["branch", "--list", "done/one"])).toContain("done/one");

      const forced = await pruneWorktrees({ workspaceRoots: roots, stateDir, force: true });
      expect(forced.find((r) => r.branch === "dirty")?.outcome).toBe("removed");
      expect(forced.find((r) => r.branch === "busy")?.outcome).toBe("kept");
    } finally {
      stop();
    }
  });
});

describe("runDaemonCommand", () => {
  it("prunes worktrees with `wsctl daemon prune-worktrees`, printing a table or JSON", async () => {
    const made = await ensureWorktree({ repoDir: temp.repo, branch: "cli-made" });
    const stateDir = await mkdtemp(path.join(temp.base, "state-"));
    const args = ["prune-worktrees", "--workspace-root", `ws1=${temp.repo}`, "--state-dir", stateDir];
    const dry = await runCli(runDaemonCommand, [...args, "--dry-run", "--json"]);
    expect(dry.code).toBe(0);
    const lines = dry.stdout.trim().split("\n").map((line) => JSON.parse(line) as { branch: string });
    expect(lines.find((l) => l.branch === "cli-made")).toMatchObject({ workspace_id: "ws1", work_dir: made.workDir, outcome: "would remove" });
    const run = await runCli(runDaemonCommand, args);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/WORKSPACE\s+WORKTREE\s+BRANCH\s+OUTCOME/);
    expect(run.stdout).toContain("removed");
    expect(existsSync(made.workDir)).toBe(false);
    expect((await runCli(runDaemonCommand, ["prune-worktrees"])).code).toBe(2);
  });
});
