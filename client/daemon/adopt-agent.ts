import { readFileTail, readLastLines } from "./read-file-tail.js";
import { isSameProcess, signalProcessGroup } from "./process-identity.js";
import type { AgentExit, RunningAgent } from "./spawn-agent.js";

/** An agent started by an earlier run of the daemon, from its registry entry. */
export interface AdoptAgentOptions {
  pid: number;
  /** processStartTime(pid) when it was launched; "" to trust the pid alone. */
  startTime: string;
  agentSessionId: string;
  stdoutPath: string;
  stderrPath: string;
  /** How often liveness is checked; default 500 ms (100 ms while stopping). */
  pollMs?: number;
}

/** The exit of an agent that is not our child: its status cannot be known. */
export const unknownExit: AgentExit = { code: null, signal: null };

/**
 * Watches an agent that is not a child of this process (it outlived the
 * daemon that spawned it): it counts as running while a process with its pid
 * and start time exists. Its exit status is unknown (`{code: null, signal:
 * null}`); stop() signals its process group like for a spawned agent.
 */
export function adoptAgent(options: AdoptAgentOptions): RunningAgent {
  const { pid, startTime, stdoutPath, stderrPath } = options;
  const pollMs = options.pollMs ?? 500;
  let exit: AgentExit | undefined;
  let timer: NodeJS.Timeout | undefined;
  let resolveExit: (status: AgentExit) => void = () => undefined;
  const exited = new Promise<AgentExit>((resolve) => {
    resolveExit = resolve;
  });
  const alive = () => isSameProcess(pid, startTime);
  const check = () => {
    if (exit !== undefined || alive()) return;
    exit = unknownExit;
    clearInterval(timer);
    resolveExit(exit);
  };
  const poll = (ms: number) => {
    clearInterval(timer);
    timer = setInterval(check, ms);
    timer.unref();
  };
  check();
  if (exit === undefined) poll(pollMs);

  return {
    pid,
    startTime,
    stdoutPath,
    stderrPath,
    agentSessionId: options.agentSessionId || undefined,
    exited,
    exitStatus: () => exit,
    stderrTail: () => readFileTail(stderrPath, 4096),
    stdoutLines: () => readLastLines(stdoutPath, 100),
    async stop(graceMs) {
      check();
      if (exit !== undefined || !signalProcessGroup(pid, "SIGTERM")) {
        check();
        return "already_exited";
      }
      poll(Math.min(pollMs, 100));
      const kill = setTimeout(() => {
        if (exit === undefined && alive()) signalProcessGroup(pid, "SIGKILL");
      }, graceMs);
      await exited;
      clearTimeout(kill);
      return "stopped";
    },
    release() {
      clearInterval(timer);
    },
  };
}
