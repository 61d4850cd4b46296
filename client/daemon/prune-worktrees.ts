import { realpath } from "node:fs/promises";
import path from "node:path";
import { isInside } from "./check-inside-root.js";
import { createAgentRegistry } from "./create-agent-registry.js";
import { parseWorktreeList, worktreesFolder } from "./ensure-worktree.js";
import { isSameProcess } from "./process-identity.js";
import { removeWorktree } from "./remove-worktree.js";
import { runGit } from "./run-git.js";

/** Options of pruneWorktrees. */
export interface PruneWorktreesOptions {
  /** Workspace id -> directory, as the daemon is given them. */
  workspaceRoots: ReadonlyMap<string, string>;
  /** The daemon's state directory: its agent entries say which worktrees are in use. */
  stateDir: string;
  /** Only say what would be removed. Default false. */
  dryRun?: boolean;
  /** Remove worktrees with uncommitted changes too. Default false: they are kept. */
  force?: boolean;
  log?: (line: string) => void;
}

/** What became of one worktree. */
export interface PrunedWorktree {
  workspaceId: string;
  workDir: string;
  /** Its branch (without `refs/heads/`), "" for a detached HEAD. */
  branch: string;
  outcome: "removed" | "would remove" | "kept";
  /** Why it was kept; "" when removed. */
  reason: string;
}

/**
 * Removes the finished worktrees the daemon made: every git worktree under
 * `<workspace dir>/.worktrees/` whose agent no longer runs (no entry in the
 * state directory names a live process working there) and that has no
 * uncommitted changes (unless `force`). Branches stay: they hold the work.
 * Worktrees elsewhere and the repository's own checkout are never touched.
 */
export async function pruneWorktrees(options: PruneWorktreesOptions): Promise<PrunedWorktree[]> {
  const registry = createAgentRegistry({ stateDir: options.stateDir, ...(options.log ? { log: options.log } : {}) });
  const inUse = new Map<string, string>();
  for (const entry of await registry.load().catch(() => [])) {
    if (entry.exit === undefined && isSameProcess(entry.pid, entry.start_time)) inUse.set(entry.work_dir, entry.session_id);
  }
  const out: PrunedWorktree[] = [];
  for (const [workspaceId, dir] of options.workspaceRoots) {
    const root = await realpath(dir);
    const folder = path.join(root, worktreesFolder);
    const listed = await runGit(["worktree", "list", "--porcelain"], { cwd: root });
    if (listed.exitCode !== 0) continue;
    for (const worktree of parseWorktreeList(listed.stdout).slice(1)) {
      if (!isInside(folder, worktree.path) || worktree.path === folder) continue;
      const branch = worktree.branch?.replace(/^refs\/heads\//, "") ?? "";
      const kept = (reason: string) => out.push({ workspaceId, workDir: worktree.path, branch, outcome: "kept", reason });
      const session = inUse.get(worktree.path);
      if (session !== undefined) {
        kept(`in use by the agent of session ${session}`);
        continue;
      }
      const status = await runGit(["status", "--porcelain"], { cwd: worktree.path }).catch(() => undefined);
      if (status === undefined || status.exitCode !== 0) {
        if (!options.force) {
          kept("git status failed in it (use --force to remove it anyway)");
          continue;
        }
      } else if (status.stdout.trim() !== "" && !options.force) {
        kept("it has uncommitted changes (use --force to remove them with it)");
        continue;
      }
      if (options.dryRun) {
        out.push({ workspaceId, workDir: worktree.path, branch, outcome: "would remove", reason: "" });
        continue;
      }
      const refused = await removeWorktree({ repoDir: root, workDir: worktree.path, force: options.force ?? false });
      if (refused !== undefined) kept(refused);
      else out.push({ workspaceId, workDir: worktree.path, branch, outcome: "removed", reason: "" });
    }
  }
  return out;
}
