import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/** Creates `dir` as a git repository on branch `main` with one commit (a README): a workspace's root on a machine. */
export async function createGitRepo(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  await writeFile(path.join(dir, "README.md"), "# project\n");
  git("add", ".");
  git("-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "initial");
}
