import { execFile } from "node:child_process";
import { agentEnvironment } from "./agent-environment.js";
import { daemonErrorFromSpawnError } from "./child-process-error.js";
import { DaemonError, tail } from "./daemon-error.js";

/** Outcome of one git invocation that started. */
export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Options of runGit. */
export interface RunGitOptions {
  /** Directory git runs in (`git -C` is not used: cwd is). */
  cwd: string;
  signal?: AbortSignal;
  /** Executable; default `git` on PATH. */
  gitBin?: string;
}

const maxBuffer = 16 * 1024 * 1024;

/**
 * Runs git with an argv array (no shell), never prompting on a terminal.
 * Resolves with the exit code and output whatever the exit code; rejects with
 * a DaemonError only when git could not run (`git_not_found`) or was canceled.
 */
export function runGit(args: readonly string[], options: RunGitOptions): Promise<GitResult> {
  const bin = options.gitBin ?? "git";
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      {
        cwd: options.cwd,
        signal: options.signal,
        maxBuffer,
        encoding: "utf8",
        // Without WSCTL_*: hooks in the repository (post-checkout) see no machine token either.
        env: { ...agentEnvironment(process.env, []), GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ exitCode: 0, stdout, stderr });
          return;
        }
        const exit = (error as { code?: unknown }).code;
        if (typeof exit === "number") {
          resolve({ exitCode: exit, stdout, stderr });
          return;
        }
        const mapped = daemonErrorFromSpawnError(error, bin);
        reject(mapped.code === "binary_not_found" ? new DaemonError("git_not_found", mapped.message) : mapped);
      },
    );
  });
}

/**
 * Runs git and returns its stdout; a non-zero exit is a DaemonError with
 * `code` whose message is `what` followed by the tail of git's stderr.
 */
export async function gitOrThrow(
  args: readonly string[],
  options: RunGitOptions & { code: string; what: string },
): Promise<string> {
  const result = await runGit(args, options);
  if (result.exitCode !== 0) {
    const detail = tail(result.stderr || result.stdout, 1000);
    throw new DaemonError(options.code, detail ? `${options.what}: ${detail}` : options.what);
  }
  return result.stdout;
}

/**
 * The branch checked out in `dir` (`git branch --show-current`): "" when HEAD
 * is detached, `dir` is not in a git repository, or git cannot run.
 */
export async function currentBranch(dir: string, signal?: AbortSignal): Promise<string> {
  try {
    const result = await runGit(["branch", "--show-current"], { cwd: dir, signal });
    return result.exitCode === 0 ? result.stdout.trim() : "";
  } catch {
    return "";
  }
}
