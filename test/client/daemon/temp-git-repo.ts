// A real git repository with one commit in a fresh temp dir, for the daemon's tests.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export interface TempGitRepo {
  /** The temp dir holding the repo (real path, no symlinks). */
  base: string;
  /** The repository, `<base>/repo`, on branch `main` with README.md committed. */
  repo: string;
  /** Runs git in `cwd` (default the repo) and returns its trimmed stdout. */
  git(args: string[], cwd?: string): string;
  cleanup(): Promise<void>;
}

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
};

export async function createTempGitRepo(): Promise<TempGitRepo> {
  const base = await realpath(await mkdtemp(path.join(tmpdir(), "wsctl-repo-")));
  const repo = path.join(base, "repo");
  await mkdir(repo);
  const git = (args: string[], cwd = repo) => execFileSync("git", args, { cwd, env: gitEnv, encoding: "utf8" }).trim();
  git(["init", "-q", "-b", "main"]);
  await writeFile(path.join(repo, "README.md"), "hello\n");
  git(["add", "README.md"]);
  git(["commit", "-q", "-m", "first"]);
  return { base, repo, git, cleanup: () => rm(base, { recursive: true, force: true }) };
}
