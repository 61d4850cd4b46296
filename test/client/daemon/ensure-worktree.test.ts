import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureWorktree } from "../../../client/daemon/ensure-worktree.js";
import { createTempGitRepo, type TempGitRepo } from "./temp-git-repo.js";

let temp: TempGitRepo;
let base: string;
let repo: string;

function git(cwd: string, ...args: string[]): string {
  return temp.git(args, cwd);
}

beforeEach(async () => {
  temp = await createTempGitRepo();
  base = temp.base;
  repo = temp.repo;
});

afterEach(async () => {
  await temp.cleanup();
});

describe("ensureWorktree", () => {
  it("creates a worktree on a new branch under .worktrees", async () => {
    const result = await ensureWorktree({ repoDir: repo, branch: "feat/login" });
    expect(result).toEqual({
      workDir: path.join(repo, ".worktrees", "feat__login"),
      branch: "feat/login",
      created: true,
      createdBranchAt: git(repo, "rev-parse", "main"),
    });
    expect(git(result.workDir, "rev-parse", "--abbrev-ref", "HEAD")).toBe("feat/login");
    expect(await readFile(path.join(result.workDir, "README.md"), "utf8")).toBe("hello\n");
    // The worktrees folder does not dirty the repository.
    expect(git(repo, "status", "--porcelain")).toBe("");
  });

  it("reuses the worktree on a second call and writes the exclude line once", async () => {
    const first = await ensureWorktree({ repoDir: repo, branch: "fix-1" });
    await writeFile(path.join(first.workDir, "scratch.txt"), "work in progress\n");
    const second = await ensureWorktree({ repoDir: repo, branch: "fix-1" });
    expect(second).toEqual({ workDir: first.workDir, branch: "fix-1", created: false });
    expect(await readFile(path.join(second.workDir, "scratch.txt"), "utf8")).toBe("work in progress\n");
    await ensureWorktree({ repoDir: repo, branch: "fix-2" });
    const exclude = await readFile(path.join(repo, ".git", "info", "exclude"), "utf8");
    expect(exclude.split("\n").filter((line) => line === "/.worktrees/")).toHaveLength(1);
  });

  it("checks out an existing branch", async () => {
    git(repo, "branch", "existing");
    const result = await ensureWorktree({ repoDir: repo, branch: "existing" });
    expect(result.created).toBe(true);
    expect(git(result.workDir, "rev-parse", "--abbrev-ref", "HEAD")).toBe("existing");
    expect(git(result.workDir, "rev-parse", "HEAD")).toBe(git(repo, "rev-parse", "main"));
  });

  it("serializes concurrent calls for the same branch", async () => {
    const results = await Promise.all([
      ensureWorktree({ repoDir: repo, branch: "same" }),
      ensureWorktree({ repoDir: repo, branch: "same" }),
    ]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(results[0]?.workDir).toBe(results[1]?.workDir);
  });

  it.each(["../escape", "a..b", "-rf", "has space", "x.lock", "@{-1}", "/abs", ""])(
    "rejects the branch name %j",
    async (branch) => {
      await expect(ensureWorktree({ repoDir: repo, branch })).rejects.toMatchObject({
        code: "invalid_branch_name",
      });
      expect(git(repo, "worktree", "list", "--porcelain").match(/^worktree /gm)).toHaveLength(1);
    },
  );

  it("fails with not_a_git_repo outside a repository", async () => {
    const plain = path.join(base, "plain");
    await mkdir(plain);
    await expect(ensureWorktree({ repoDir: plain, branch: "x" })).rejects.toMatchObject({ code: "not_a_git_repo" });
  });

  it("fails with not_a_git_repo for a missing directory", async () => {
    await expect(ensureWorktree({ repoDir: path.join(base, "missing"), branch: "x" })).rejects.toMatchObject({
      code: "not_a_git_repo",
    });
  });

  it("fails with a clear error for a repository without commits", async () => {
    const empty = path.join(base, "empty");
    await mkdir(empty);
    git(empty, "init", "-q");
    const error = await ensureWorktree({ repoDir: empty, branch: "x" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "empty_repository" });
    expect((error as Error).message).toMatch(/no commits/);
  });

  it("reports git's stderr when git worktree add fails", async () => {
    // A non-empty directory where the worktree should go makes `git worktree add` fail.
    await mkdir(path.join(repo, ".worktrees", "taken"), { recursive: true });
    await writeFile(path.join(repo, ".worktrees", "taken", "file"), "x");
    const error = await ensureWorktree({ repoDir: repo, branch: "taken" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "worktree_failed" });
    expect((error as Error).message).toMatch(/already exists/);
  });
});

describe("ensureWorktree against a hostile workspace", () => {
  it("refuses a symbolic link planted at .worktrees/<name> that leads out, before git writes anything there", async () => {
    const outside = path.join(base, "outside");
    await mkdir(outside);
    await mkdir(path.join(repo, ".worktrees"), { recursive: true });
    await symlink(outside, path.join(repo, ".worktrees", "evil"));
    await expect(ensureWorktree({ repoDir: repo, branch: "evil" })).rejects.toMatchObject({ code: "worktree_outside_root" });
    expect(await readdir(outside)).toEqual([]);
    expect(git(repo, "branch", "--list", "evil")).toBe("");
  });

  it("refuses a .worktrees folder that is a link out of the workspace, and a dangling link", async () => {
    const outside = path.join(base, "elsewhere");
    await mkdir(outside);
    await symlink(outside, path.join(repo, ".worktrees"));
    await expect(ensureWorktree({ repoDir: repo, branch: "any" })).rejects.toMatchObject({ code: "worktree_outside_root" });
    expect(await readdir(outside)).toEqual([]);
    await rm(path.join(repo, ".worktrees"));
    await mkdir(path.join(repo, ".worktrees"));
    await symlink(path.join(base, "nowhere"), path.join(repo, ".worktrees", "dangling"));
    await expect(ensureWorktree({ repoDir: repo, branch: "dangling" })).rejects.toMatchObject({ code: "worktree_outside_root" });
    expect(existsSync(path.join(base, "nowhere"))).toBe(false);
  });

  it("refuses to reuse a worktree of the branch that lies outside the workspace", async () => {
    git(repo, "worktree", "add", "-b", "far", path.join(base, "far-tree"));
    await expect(ensureWorktree({ repoDir: repo, branch: "far" })).rejects.toMatchObject({ code: "worktree_outside_root" });
  });

  it("refuses the repository's checked-out branch and a name whose directory another branch holds", async () => {
    await expect(ensureWorktree({ repoDir: repo, branch: "main" })).rejects.toMatchObject({ code: "branch_checked_out" });
    await ensureWorktree({ repoDir: repo, branch: "a/b" });
    // The server refuses such a name; a daemon behind an older server still must not share the directory.
    await expect(ensureWorktree({ repoDir: repo, branch: "a__b" })).rejects.toMatchObject({ code: "worktree_name_collision" });
  });

  it("tells the commit a branch it created started at", async () => {
    const made = await ensureWorktree({ repoDir: repo, branch: "fresh" });
    expect(made.createdBranchAt).toBe(git(repo, "rev-parse", "main"));
    git(repo, "branch", "older");
    expect((await ensureWorktree({ repoDir: repo, branch: "older" })).createdBranchAt).toBeUndefined();
  });

  it("prunes a worktree whose directory was deleted by hand, then checks its branch out afresh", async () => {
    const first = await ensureWorktree({ repoDir: repo, branch: "gone" });
    const live = await ensureWorktree({ repoDir: repo, branch: "live" });
    await rm(first.workDir, { recursive: true, force: true });
    // git still lists the deleted worktree until it is pruned: pruned now, and the branch checked out again.
    const again = await ensureWorktree({ repoDir: repo, branch: "gone" });
    expect(again).toEqual({ workDir: first.workDir, branch: "gone", created: true });
    expect(git(again.workDir, "rev-parse", "--abbrev-ref", "HEAD")).toBe("gone");
    // A live worktree is never pruned.
    expect(git(repo, "worktree", "list", "--porcelain")).toContain(`worktree ${live.workDir}\n`);
  });

  it("frees the directory of a deleted worktree of another branch for the name that maps to it", async () => {
    const other = await ensureWorktree({ repoDir: repo, branch: "x/y" });
    await rm(other.workDir, { recursive: true, force: true });
    const reused = await ensureWorktree({ repoDir: repo, branch: "x__y" });
    expect(reused).toMatchObject({ workDir: other.workDir, created: true });
    expect(git(reused.workDir, "rev-parse", "--abbrev-ref", "HEAD")).toBe("x__y");
  });

  it("starts a new branch at the commit it read, and names it in the result", async () => {
    const head = git(repo, "rev-parse", "HEAD");
    const made = await ensureWorktree({ repoDir: repo, branch: "pinned" });
    expect(made.createdBranchAt).toBe(head);
    expect(git(repo, "rev-parse", "refs/heads/pinned")).toBe(head);
  });
});
