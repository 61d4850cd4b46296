import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { daemonErrorFromSpawnError } from "./child-process-error.js";
import { DaemonError, tail } from "./daemon-error.js";

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
}

/** How an agent process ended. */
export interface AgentExit {
  code: number | null;
  signal: string | null;
}

/** An agent process that got through its startup window. */
export interface RunningAgent {
  readonly pid: number;
  /** Session/thread id the agent printed on stdout (`thread.started` / `session_id`), once seen. */
  readonly agentSessionId: string | undefined;
  /** Settles once the process exited and its output was read. */
  readonly exited: Promise<AgentExit>;
  /** The exit once known, else undefined. */
  exitStatus(): AgentExit | undefined;
  /** The last 4 KiB of stderr. */
  stderrTail(): string;
  /** The last stdout lines (at most 100). */
  stdoutLines(): string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs: number): Promise<"stopped" | "already_exited">;
}

const stderrLimit = 4096;
const stdoutLineLimit = 100;
const partialLineLimit = 1024 * 1024;
/** After `exit`, how long to wait for the pipes to close (a grandchild may hold them). */
const drainMs = 250;

/**
 * Spawns an agent (argv array, no shell, stdin closed at once) and resolves
 * once it survived `startupWindowMs`, or exited 0 within it.
 *
 * Rejects with a DaemonError: `work_dir_missing`, `binary_not_found`,
 * `binary_not_executable`, `spawn_failed`, or `agent_exited` (exit code or
 * signal and the tail of stderr) when it failed during the window.
 */
export async function spawnAgent(options: SpawnAgentOptions): Promise<RunningAgent> {
  const { bin, cwd } = options;
  const isDir = await stat(cwd).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new DaemonError("work_dir_missing", `work directory ${cwd} does not exist`);

  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(bin, [...options.args], {
      cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: false,
    });
  } catch (error) {
    throw daemonErrorFromSpawnError(error, bin);
  }

  let stderr = "";
  const lines: string[] = [];
  let partial = "";
  let sessionId: string | undefined;
  let exit: AgentExit | undefined;

  child.stdin?.on("error", () => undefined);
  child.stdin?.end();
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-stderrLimit);
  });
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    if (partial.length > partialLineLimit) partial = "";
    for (const line of parts) {
      lines.push(line);
      if (lines.length > stdoutLineLimit) lines.shift();
      if (sessionId === undefined) sessionId = sessionIdFromLine(line);
    }
  });

  let closed = false;
  child.once("close", () => {
    closed = true;
  });
  const exited = new Promise<AgentExit>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      const status = exit;
      if (closed) return resolve(status);
      const timer = setTimeout(() => resolve(status), drainMs);
      child.once("close", () => {
        clearTimeout(timer);
        resolve(status);
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, options.startupWindowMs ?? 1500);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(daemonErrorFromSpawnError(error, bin));
    });
    void exited.then((status) => {
      clearTimeout(timer);
      if (status.code === 0) resolve();
      else reject(new DaemonError("agent_exited", describeEarlyExit(bin, status, stderr)));
    });
  });
  // Errors after startup (for example a failed kill) must not crash the daemon.
  child.on("error", () => undefined);

  const pid = child.pid ?? 0;
  const hasExited = () => exit !== undefined || child.exitCode !== null || child.signalCode !== null;
  return {
    pid,
    get agentSessionId() {
      return sessionId;
    },
    exited,
    exitStatus: () => exit,
    stderrTail: () => stderr,
    stdoutLines: () => [...lines],
    async stop(graceMs) {
      if (hasExited() || !child.kill("SIGTERM")) {
        await exited;
        return "already_exited";
      }
      const timer = setTimeout(() => {
        if (!hasExited()) child.kill("SIGKILL");
      }, graceMs);
      await exited;
      clearTimeout(timer);
      return "stopped";
    },
  };
}

function describeEarlyExit(bin: string, status: AgentExit, stderr: string): string {
  const how = status.signal !== null ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
  const detail = tail(stderr, 2000);
  return `${bin} ${how} during startup${detail ? `: ${detail}` : " (no stderr output)"}`;
}

/** A thread/session id from one stdout line of JSON, if it holds one. */
function sessionIdFromLine(line: string): string | undefined {
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const event = value as Record<string, unknown>;
  if (event.type === "thread.started" && typeof event.thread_id === "string" && event.thread_id !== "") {
    return event.thread_id;
  }
  if (typeof event.session_id === "string" && event.session_id !== "") return event.session_id;
  return undefined;
}
