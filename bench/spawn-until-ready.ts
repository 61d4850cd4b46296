// Starting the benchmarks' child processes (servers, daemons, load): node
// with tsx, resolved once the child prints what says it is ready.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

/** The repository's root, where children run. */
export const repoRoot = path.resolve(import.meta.dirname, "..");

export interface ReadyChild {
  child: ChildProcess;
  /** The match of `ready` in the child's output. */
  match: readonly string[];
  /** Sends SIGTERM (unless it has exited) and resolves once it has. */
  stop(): Promise<void>;
}

/**
 * Spawns `node ARGS…` in the repository and resolves once its stdout or
 * stderr matches `ready` (at once when `ready` is null, for a child that
 * prints nothing: the caller waits on another signal); rejects with its
 * output when it exits first. After
 * that its stderr goes on to ours, so what it reports is seen. `ipc` opens an
 * IPC channel (`child.send`, "message" events); `env` is added to ours.
 */
export function spawnUntilReady(args: string[], ready: RegExp | null, options: { ipc?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<ReadyChild> {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe", ...(options.ipc ? (["ipc"] as const) : [])],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  let out = "";
  return new Promise((resolve, reject) => {
    let done = false;
    const onData = (d: Buffer) => {
      if (done) return;
      out += d.toString();
      const match = ready === null ? [] : out.match(ready);
      if (!match) return;
      done = true;
      child.stderr!.on("data", (chunk: Buffer) => process.stderr.write(chunk));
      child.stdout!.resume();
      resolve({ child, match, stop });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    if (ready === null) onData(Buffer.alloc(0));
    child.once("exit", (code) => {
      if (!done) reject(new Error(`node ${args.filter((a) => !a.startsWith("{")).join(" ")} exited ${code} before printing ${ready}:\n${out}`));
    });
  });
}
