import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root and the wsctl entry point, as `npx wsctl` runs it. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const wsctlBin = path.join(repoRoot, "client/wsctl/wsctl.js");
export const standInAgent = path.join(repoRoot, "test/fixtures/stand-in-agent.mjs");

/** A wsctl process with its output collected. */
export interface WsctlProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr, or rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** `bin`: another wsctl entry point, e.g. an installed package's dist/wsctl.js. Default: the sources through tsx. */
export function spawnWsctl(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; bin?: string } = {}): WsctlProcess {
  const child = spawn(process.execPath, [options.bin ?? wsctlBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  });
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    for (const l of listeners) l();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = (out + err).match(pattern);
          if (m) {
            done();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const onExit = () => {
          done();
          reject(new Error(`wsctl exited before ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.once("exit", onExit);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Starts `wsctl serve` on a free port of 127.0.0.1 with `database` and more `args`; resolves once it prints its URL. */
export async function spawnServe(
  database: string,
  args: string[] = [],
  options: { bin?: string } = {},
): Promise<{ server: WsctlProcess; url: string }> {
  const server = spawnWsctl(["serve", "--listen", "127.0.0.1:0", "--database", database, ...args], options);
  return { server, url: (await server.waitFor(/REST on (https?:\/\/\S+)/))[1]! };
}

/** What a test daemon is started with besides its servers. */
export interface StandInDaemonArgs {
  /** The machine token, as `--token`; without it the daemon reads its state dir's `machine-token`. */
  token?: string;
  workspaceId: string;
  /** The workspace's root on the machine. */
  repoDir: string;
  stateDir: string;
  startupWindowMs: number;
  /** Pass `--stop-agents` (default true): the daemon stops its agents when it stops, instead of leaving them to its next run. */
  stopAgents?: boolean;
}

/** `wsctl daemon` arguments after its `--server` flags: the machine token (if given), one workspace root, stand-in agents for both providers. */
export function standInDaemonArgs(args: StandInDaemonArgs): string[] {
  return [
    ...(args.token !== undefined ? ["--token", args.token] : []),
    "--workspace-root",
    `${args.workspaceId}=${args.repoDir}`,
    "--claude-bin",
    standInAgent,
    "--codex-bin",
    standInAgent,
    "--startup-window-ms",
    String(args.startupWindowMs),
    "--state-dir",
    args.stateDir,
    // Agents outlive a stopped daemon by default; a test's own must not outlive the test, unless it adopts them.
    ...(args.stopAgents === false ? [] : ["--stop-agents"]),
  ];
}
