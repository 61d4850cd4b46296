import { runGit } from "./run-git.js";

/** Options of removeWorktree. */
export interface RemoveWorktreeOptions {
  /** The workspace's repository. */
  repoDir: string;
  /** The worktree to remove. */
  workDir: string;
  /** With `createdBranchAt`: the branch the worktree was made with, deleted too while it still points there. */
  branch?: string;
  createdBranchAt?: string;
  /** Remove it even with uncommitted changes (`git worktree remove --force`). Default false. */
  force?: boolean;
  signal?: AbortSignal;
}

/**
 * Removes a worktree (`git worktree remove`, then `git worktree prune`) and,
 * when the caller created its branch and nothing was committed on it since
 * (it still points at `createdBranchAt`), that branch. Resolves with what git
 * said when it refused (for example uncommitted changes without `force`),
 * else undefined; never throws.
 */
export async function removeWorktree(options: RemoveWorktreeOptions): Promise<string | undefined> {
  const git = { cwd: options.repoDir, signal: options.signal };
  try {
    const removed = await runGit(["worktree", "remove", ...(options.force ? ["--force"] : []), options.workDir], git);
    if (removed.exitCode !== 0) return (removed.stderr || removed.stdout).trim() || `git worktree remove exited ${removed.exitCode}`;
    await runGit(["worktree", "prune"], git);
    if (options.branch !== undefined && options.createdBranchAt !== undefined) {
      const at = await runGit(["rev-parse", "--verify", "--quiet", `refs/heads/${options.branch}`], git);
      if (at.exitCode === 0 && at.stdout.trim() === options.createdBranchAt) await runGit(["branch", "-D", options.branch], git);
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
