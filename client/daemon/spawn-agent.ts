import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { stat } from "node:fs/promises";
import { createSessionIdScanner } from "./create-session-id-scanner.js";
import { readFileTail, readLastLines } from "./read-file-tail.js";
import { daemonErrorFromSpawnError } from "./child-process-error.js";
import { DaemonError, tail } from "./daemon-error.js";
import { processStartTime, signalProcessGroup } from "./process-identity.js";
import { errnoOrMessage } from "./errno-of.js";

/** Options of spawnAgent. */
export interface SpawnAgentOptions {
  bin: string;
  /** Passed to the process as is: no shell ever sees them. */
  args: readonly string[];
  /** Directory the agent runs in; must exist. */
  cwd: string;
  /** Environment; default the daemon's own. */
  env?: NodeJS.ProcessEnv;
  /** How long the process must survive to count as started; default 1500 ms. */
  startupWindowMs?: number;
  /**
   * Files the agent's stdout and stderr are written to (created or truncated).
   * Files, not pipes, so the agent outlives the daemon without SIGPIPE.
   */
  stdoutPath: string;
  stderrPath: string;
  /**
   * Called once the process exists, before its startup window: the moment to
   * record it, so a daemon that dies during the window leaves it findable.
   * Gets its pid and processStartTime(pid).
   */
  onSpawned?: (pid: number, startTime: string) => void;
}

/** How an agent process ended; both null when unknown (an adopted agent). */
export interface AgentExit {
  code: number | null;
  signal: string | null;
}

/** An agent process that got through its startup window (or was adopted). */
export interface RunningAgent {
  readonly pid: number;
  /** processStartTime(pid) at start; "" when unknown. */
  readonly startTime: string;
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** Session/thread id the agent printed on stdout (`thread.started` / `session_id`), once seen. */
  readonly agentSessionId: string | undefined;
  /** Settles once the process exited. */
  readonly exited: Promise<AgentExit>;
  /** The exit once known, else undefined. */
  exitStatus(): AgentExit | undefined;
  /** The last 4 KiB of stderr. */
  stderrTail(): string;
  /** The last stdout lines (at most 100). */
  stdoutLines(): string[];
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs: number): Promise<"stopped" | "already_exited">;
  /** Stops watching the process and lets the daemon exit while it runs; `exited` may then never settle. */
  release(): void;
}

const stderrLimit = 4096;
const stdoutLineLimit = 100;
/** How often stdout is read for the session id during the startup window. */
const scanIntervalMs = 50;

/**
 * Spawns an agent (argv array, no shell, stdin /dev/null, stdout and stderr
 * to files, its own process group so a Ctrl-C to the daemon's terminal does
 * not reach it) and resolves once it survived `startupWindowMs`, or exited 0
 * within it.
 *
 * Rejects with a DaemonError: `work_dir_missing`, `agent_log_failed`,
 * `binary_not_found`, `binary_not_executable`, `spawn_failed`, or
 * `agent_exited` (exit code or signal and the tail of stderr) when it failed
 * during the window.
 */
export async function spawnAgent(options: SpawnAgentOptions): Promise<RunningAgent> {
  const { bin, cwd, stdoutPath, stderrPath } = options;
  const isDir = await stat(cwd).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new DaemonError("work_dir_missing", `work directory ${cwd} does not exist`);

  const fds: number[] = [];
  let child: ReturnType<typeof spawn>;
  try {
    try {
      fds.push(openSync(stdoutPath, "w", 0o600), openSync(stderrPath, "w", 0o600));
    } catch (error) {
      throw new DaemonError("agent_log_failed", `could not create the agent's log files (${errnoOrMessage(error)})`);
    }
    try {
      child = spawn(bin, [...options.args], {
        cwd,
        env: options.env ?? process.env,
        stdio: ["ignore", fds[0], fds[1]],
        detached: true,
      });
    } catch (error) {
      throw daemonErrorFromSpawnError(error, bin);
    }
  } finally {
    // The child has its own copies.
    for (const fd of fds) closeSync(fd);
  }
  if (child.pid !== undefined) options.onSpawned?.(child.pid, processStartTime(child.pid));

  const scanner = createSessionIdScanner(stdoutPath);
  let exit: AgentExit | undefined;
  const exited = new Promise<AgentExit>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  const stderrNow = () => readFileTail(stderrPath, stderrLimit);

  const scanTimer = setInterval(() => scanner.scan(), scanIntervalMs);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, options.startupWindowMs ?? 1500);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(daemonErrorFromSpawnError(error, bin));
      });
      void exited.then((status) => {
        clearTimeout(timer);
        if (status.code === 0) resolve();
        else reject(new DaemonError("agent_exited", describeEarlyExit(bin, status, stderrNow())));
      });
    });
  } finally {
    clearInterval(scanTimer);
  }
  // Errors after startup (for example a failed kill) must not crash the daemon.
  child.on("error", () => undefined);

  const pid = child.pid ?? 0;
  const startTime = exit === undefined ? processStartTime(pid) : "";
  const hasExited = () => exit !== undefined || child.exitCode !== null || child.signalCode !== null;
  return {
    pid,
    startTime,
    stdoutPath,
    stderrPath,
    get agentSessionId() {
      return scanner.scan();
    },
    exited,
    exitStatus: () => exit,
    stderrTail: stderrNow,
    stdoutLines: () => readLastLines(stdoutPath, stdoutLineLimit),
    async stop(graceMs) {
      if (hasExited() || !signalProcessGroup(pid, "SIGTERM")) {
        await exited;
        return "already_exited";
      }
      const timer = setTimeout(() => {
        if (!hasExited()) signalProcessGroup(pid, "SIGKILL");
      }, graceMs);
      await exited;
      clearTimeout(timer);
      return "stopped";
    },
    release() {
      child.unref();
    },
  };
}

function describeEarlyExit(bin: string, status: AgentExit, stderr: string): string {
  const how = status.signal !== null ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
  const detail = tail(stderr, 2000);
  return `${bin} ${how} during startup${detail ? `: ${detail}` : " (no stderr output)"}`;
}
