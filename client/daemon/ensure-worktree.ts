import { appendFile, mkdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { DaemonError, tail } from "./daemon-error.js";
import { checkInsideRoot } from "./check-inside-root.js";
import { gitOrThrow, runGit } from "./run-git.js";
import { isErrno } from "./errno-of.js";

/** Options of ensureWorktree. */
export interface EnsureWorktreeOptions {
  /** The workspace's repository (its top level or a directory inside it). */
  repoDir: string;
  /** Branch the worktree checks out; also names its directory. */
  branch: string;
  signal?: AbortSignal;
}

/** Where the agent runs. */
export interface EnsuredWorktree {
  workDir: string;
  branch: string;
  /** False when an existing worktree of the branch was reused. */
  created: boolean;
  /** When this call created the branch too: the commit it started at (so a failed launch can take it back). */
  createdBranchAt?: string;
}

/** The directory name of the worktree of `branch` under `.worktrees/`: each `/` becomes `__`. */
export function worktreeDirName(branch: string): string {
  return branch.replaceAll("/", "__");
}

/** Folder, inside the repo directory, holding the daemon's worktrees. */
export const worktreesFolder = ".worktrees";

// One worktree operation per repository at a time: two launches for the same
// branch must not both try `git worktree add`.
const queues = new Map<string, Promise<unknown>>();

/**
 * Creates or reuses a git worktree checking out `branch`, in
 * `<repoDir>/.worktrees/<branch with "/" replaced by "__">`.
 *
 * - The name is checked with `git check-ref-format --branch` first.
 * - A worktree that already has the branch checked out is reused as is, if it
 *   lies inside the workspace directory; the repository's own checkout (the
 *   branch checked out there, `main` say) is never used as a worktree.
 * - Before git runs, the new worktree's path must resolve inside the
 *   workspace directory (no symbolic link at `.worktrees` or
 *   `.worktrees/<name>` leading out), and no other branch's worktree may
 *   already hold that directory.
 * - An existing branch is checked out (`git worktree add <dir> <branch>`), a
 *   new one is created at HEAD's commit (`git worktree add -b <branch> <dir> <commit>`).
 * - git's reads run side by side; `git worktree prune` runs only when a
 *   worktree of the branch or of the directory is gone from disk.
 * - `/.worktrees/` is added once to `.git/info/exclude`, so the repo stays clean.
 *
 * Fails with a DaemonError: `not_a_git_repo`, `empty_repository`,
 * `invalid_branch_name`, `branch_checked_out`, `worktree_outside_root`,
 * `worktree_name_collision`, `worktree_failed` (with git's stderr tail),
 * `git_not_found`.
 */
export async function ensureWorktree(options: EnsureWorktreeOptions): Promise<EnsuredWorktree> {
  const repoDir = await existingDirectory(options.repoDir);
  const previous = queues.get(repoDir) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => ensureWorktreeNow(repoDir, options.branch, options.signal));
  queues.set(repoDir, run);
  try {
    return await run;
  } finally {
    if (queues.get(repoDir) === run) queues.delete(repoDir);
  }
}

async function existingDirectory(dir: string): Promise<string> {
  try {
    const real = await realpath(path.resolve(dir));
    if ((await stat(real)).isDirectory()) return real;
  } catch {
    // reported below
  }
  throw new DaemonError("not_a_git_repo", `workspace directory ${dir} does not exist or is not a directory`);
}

async function ensureWorktreeNow(repoDir: string, branch: string, signal?: AbortSignal): Promise<EnsuredWorktree> {
  const git = { cwd: repoDir, signal };
  const fail = { ...git, code: "worktree_failed" };
  // What the decision needs, read at once (git's reads, side by side): the name's check, the
  // repository and its HEAD commit, its worktrees, and whether the branch exists.
  const [check, info, listed, known] = await Promise.all([
    runGit(["check-ref-format", "--branch", branch], git),
    runGit(["rev-parse", "--show-toplevel", "--show-prefix", "--git-common-dir", "--verify", "--quiet", "HEAD^{commit}"], git),
    runGit(["worktree", "list", "--porcelain"], git),
    runGit(["show-ref", "--verify", "--quiet", `refs/heads/${branch}`], git),
  ]);
  if (check.exitCode !== 0 || check.stdout.trim() !== branch) {
    throw new DaemonError("invalid_branch_name", `"${branch}" is not a valid git branch name`);
  }
  // Top level, prefix (empty at the top) and common dir; then HEAD's commit, missing in a repository without one.
  const [top = "", prefix = "", commonDir = "", head = ""] = info.stdout.split("\n");
  if (top === "" || commonDir === "") {
    throw new DaemonError("not_a_git_repo", `${repoDir} is not inside a git repository with a work tree`);
  }
  if (info.exitCode !== 0 || !/^[0-9a-f]{40,64}$/.test(head)) {
    throw new DaemonError(
      "empty_repository",
      `the repository at ${repoDir} has no commits yet; commit once before launching with a worktree`,
    );
  }
  if (listed.exitCode !== 0) throw new DaemonError("worktree_failed", gitFailure("git worktree list failed", listed));
  await excludeWorktreesFolder(path.resolve(repoDir, commonDir), `/${prefix}${worktreesFolder}/`);

  const workDir = path.join(repoDir, worktreesFolder, worktreeDirName(branch));
  let worktrees = parseWorktreeList(listed.stdout);
  // A worktree whose directory is gone only blocks its branch and path until pruned: prune only then.
  if (await anyGone(worktrees.filter((w) => w.branch === `refs/heads/${branch}` || w.path === workDir))) {
    await gitOrThrow(["worktree", "prune"], { ...fail, what: "git worktree prune failed" });
    worktrees = parseWorktreeList(await gitOrThrow(["worktree", "list", "--porcelain"], { ...fail, what: "git worktree list failed" }));
  }
  const existing = worktrees.find((w) => w.branch === `refs/heads/${branch}`);
  // The first entry is the repository's own checkout.
  if (existing !== undefined && existing === worktrees[0]) {
    throw new DaemonError(
      "branch_checked_out",
      `branch "${branch}" is the one checked out in the repository itself; launch without worktree_name to work there, or name another branch`,
    );
  }
  if (existing !== undefined) {
    await checkInsideRoot(repoDir, existing.path);
    return { workDir: existing.path, branch, created: false };
  }

  await checkInsideRoot(repoDir, workDir);
  const holder = worktrees.find((w) => w.path === workDir);
  if (holder !== undefined) {
    throw new DaemonError(
      "worktree_name_collision",
      `the directory ${workDir} already holds the worktree of ${holder.branch?.replace(/^refs\/heads\//, "") ?? "a detached HEAD"}; name the branch differently`,
    );
  }
  if (known.exitCode === 0) {
    await gitOrThrow(["worktree", "add", workDir, branch], { ...fail, what: `git worktree add failed for branch "${branch}"` });
    return { workDir, branch, created: true };
  }
  // A new branch starts at the commit read above, named so: HEAD moving meanwhile changes nothing here.
  await gitOrThrow(["worktree", "add", "-b", branch, workDir, head], { ...fail, what: `git worktree add failed for branch "${branch}"` });
  return { workDir, branch, created: true, createdBranchAt: head };
}

/** git's failure as a message: `what`, then the tail of what it printed. */
function gitFailure(what: string, result: { stdout: string; stderr: string }): string {
  const detail = tail(result.stderr || result.stdout, 1000);
  return detail ? `${what}: ${detail}` : what;
}

/** Whether any of the worktrees' directories no longer exists. */
async function anyGone(worktrees: readonly WorktreeEntry[]): Promise<boolean> {
  const gone = await Promise.all(worktrees.map((w) => stat(w.path).then(() => false, () => true)));
  return gone.includes(true);
}

/** Appends `pattern` to `<commonDir>/info/exclude` unless a line already holds it. */
async function excludeWorktreesFolder(commonDir: string, pattern: string): Promise<void> {
  const file = path.join(commonDir, "info", "exclude");
  let text = "";
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (!isErrno(error, "ENOENT")) throw error;
  }
  if (text.split(/\r?\n/).some((line) => line.trim() === pattern)) return;
  await mkdir(path.dirname(file), { recursive: true });
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  await appendFile(file, `${separator}${pattern}\n`);
}

export interface WorktreeEntry {
  path: string;
  branch?: string;
}

/** Parses `git worktree list --porcelain`: blank-line separated records, the repository's own checkout first. */
export function parseWorktreeList(text: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("worktree ")) {
      current = { path: line.slice("worktree ".length) };
      entries.push(current);
    } else if (line.startsWith("branch ") && current !== undefined) {
      current.branch = line.slice("branch ".length);
    }
  }
  return entries;
}
