import type { Client } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import type { DaemonCommand, DaemonService } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { type AgentEntry, type AgentRegistry, agentEntry, type RecordedExit } from "./create-agent-registry.js";
import type { AgentRecord, AgentTable } from "./create-agent-table.js";
import { callWithRetry } from "./call-with-retry.js";
import { tail, toDaemonError } from "./daemon-error.js";
import { type CommandResult, handleLaunch, type LaunchContext } from "./handle-launch.js";
import { handleStop } from "./handle-stop.js";
import type { ReportQueue, StateReport } from "./create-report-queue.js";
import type { AgentExit } from "./spawn-agent.js";

/** What the dispatcher needs from runDaemon. */
export interface CommandDispatcherOptions {
  client: Client<typeof DaemonService>;
  /** Sent with every call (the machine token). */
  headers: Record<string, string>;
  agents: AgentTable;
  /** Where agent entries are kept; an entry is removed once the agent's end was reported. */
  registry: AgentRegistry;
  /** Delivers state reports, keeping them while the server is unreachable. */
  reports: ReportQueue;
  launch: LaunchContext;
  log: (line: string) => void;
  /** The daemon's shutdown: stops retries (a running call is not cut short). */
  signal: AbortSignal;
  /** Timeout of each Acknowledge / ReportSessionState attempt; default 10 s. */
  callTimeoutMs?: number;
}

/** Runs commands concurrently, acknowledges each, and reports agent states. */
export interface CommandDispatcher {
  /** Starts carrying out one command; never throws. */
  dispatch(command: DaemonCommand): void;
  /** Waits for commands in progress (up to their acknowledgement). */
  drain(): Promise<void>;
  /** Waits for the state reports of agents (which end when the agents exit). */
  drainReports(): Promise<void>;
  /** Watches an agent of an earlier daemon run serving `sessionId` (already in the table) and reports its end. */
  adopt(sessionId: string, record: AgentRecord): void;
  /** Reports (once the server is reachable) the end of an agent that ended while no daemon watched it, then removes its entry. */
  reportEnded(entry: AgentEntry): void;
  /** Stops watching: later exits are neither reported nor recorded (the daemon leaves its agents running). */
  abandon(): void;
}

/** Message of an agent that ended while no daemon was watching it. */
export const endedUnwatchedMessage = "the agent exited while no daemon was watching it; exit status unknown";
/** Message of an adopted agent's exit. */
export const adoptedExitMessage = "exit status unknown (the agent was adopted after a daemon restart)";

/** Results kept to answer a re-sent command without running it twice. */
const rememberedCommands = 1000;

export function createCommandDispatcher(options: CommandDispatcherOptions): CommandDispatcher {
  const { client, headers, agents, registry, reports, log, signal } = options;
  const key = options.launch.daemonKey;
  const callOptions = { headers, timeoutMs: options.callTimeoutMs ?? 10_000 };
  const inflight = new Set<Promise<void>>();
  const watchers = new Set<Promise<void>>();
  const results = new Map<string, Promise<CommandResult>>();
  let abandoned = false;

  const track = (set: Set<Promise<void>>, task: Promise<void>) => {
    set.add(task);
    void task.finally(() => set.delete(task));
  };

  async function acknowledge(commandId: string, result: CommandResult): Promise<void> {
    try {
      await callWithRetry(
        () => client.acknowledge({ commandId, status: result.status, payload: result.payload }, callOptions),
        { signal },
      );
    } catch (error) {
      log(`daemon: acknowledging command ${commandId} failed: ${ConnectError.from(error).message}`);
    }
  }

  async function watch(sessionId: string, record: AgentRecord, reportRunning: boolean): Promise<void> {
    if (reportRunning) await reports.send({ sessionId, state: SessionState.RUNNING, pid: record.agent.pid });
    const exit = await record.agent.exited;
    if (abandoned) return;
    const end = describeEnd(record, exit);
    log(`daemon: session ${sessionId}: ${end.message || `agent exited with code ${end.exit_code}`}`);
    // Recorded first, so the end is reported even if this daemon dies before delivering it.
    try {
      await registry.write({ ...agentEntry(sessionId, record, key), exit: end });
    } catch (error) {
      log(`daemon: session ${sessionId}: could not record the agent's end: ${(error as Error).message}`);
    }
    await reports.send(toReport(sessionId, end), () => registry.remove(sessionId, { logs: true }));
  }

  async function run(command: DaemonCommand): Promise<CommandResult> {
    try {
      switch (command.kind.case) {
        case "launch":
          return await handleLaunch(options.launch, command.kind.value);
        case "stop":
          return await handleStop(agents, command.kind.value);
        default:
          return errorResult("unsupported_command", "this daemon does not know the command");
      }
    } catch (error) {
      const failure = toDaemonError(error);
      return errorResult(failure.code, failure.message);
    }
  }

  async function carryOut(command: DaemonCommand): Promise<void> {
    const { commandId } = command;
    const result = run(command);
    remember(commandId, result);
    const outcome = await result;
    log(`daemon: ${describe(command)} -> ${summary(outcome)}`);
    await acknowledge(commandId, outcome);
    if (outcome.watch !== undefined && command.kind.case === "launch") {
      track(watchers, watch(command.kind.value.sessionId, outcome.watch, true));
    }
  }

  function remember(commandId: string, result: Promise<CommandResult>): void {
    results.set(commandId, result);
    if (results.size > rememberedCommands) {
      const oldest = results.keys().next().value;
      if (oldest !== undefined) results.delete(oldest);
    }
  }

  return {
    dispatch(command) {
      if (command.kind.case === "ping") return;
      const earlier = results.get(command.commandId);
      if (earlier !== undefined) {
        log(`daemon: ${describe(command)} was received before; acknowledging it again`);
        track(
          inflight,
          earlier.then((result) => acknowledge(command.commandId, result)),
        );
        return;
      }
      track(inflight, carryOut(command));
    },
    async drain() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
    async drainReports() {
      while (watchers.size > 0) await Promise.allSettled([...watchers]);
    },
    adopt(sessionId, record) {
      track(watchers, watch(sessionId, record, false));
    },
    reportEnded(entry) {
      const end: RecordedExit = entry.exit ?? { state: "exited", message: endedUnwatchedMessage };
      log(`daemon: session ${entry.session_id}: ${end.message || `agent exited with code ${end.exit_code}`}`);
      reports.keep(toReport(entry.session_id, end), () => registry.remove(entry.session_id, { logs: true }));
    },
    abandon() {
      abandoned = true;
    },
  };
}

/** How an agent's end is reported: exit code, killed by a signal, or unknown (adopted). */
function describeEnd(record: AgentRecord, exit: AgentExit): RecordedExit {
  if (exit.signal !== null) {
    const stderr = tail(record.agent.stderrTail(), 2000);
    const why = record.stopRequested ? " after a stop request" : "";
    return { state: "failed", message: `agent was killed by ${exit.signal}${why}${stderr ? `; stderr: ${stderr}` : ""}` };
  }
  if (exit.code === null) return { state: "exited", message: adoptedExitMessage };
  return { state: "exited", exit_code: exit.code, message: "" };
}

function toReport(sessionId: string, end: RecordedExit): StateReport {
  return {
    sessionId,
    state: end.state === "failed" ? SessionState.FAILED : SessionState.EXITED,
    ...(end.exit_code !== undefined ? { exitCode: end.exit_code } : {}),
    message: end.message,
  };
}

function errorResult(code: string, message: string): CommandResult {
  return { status: "error", payload: { error: { code, message } } };
}

function describe(command: DaemonCommand): string {
  const kind = command.kind;
  const session = kind.case === "launch" || kind.case === "stop" ? ` session ${kind.value.sessionId}` : "";
  return `${kind.case ?? "unknown"} command ${command.commandId}${session}`;
}

function summary(result: CommandResult): string {
  const payload = result.payload;
  if (result.status === "error") {
    const error = payload.error as { code?: string; message?: string } | undefined;
    return `error ${error?.code}: ${error?.message}`;
  }
  if (payload.pid !== undefined) return `ok, pid ${payload.pid} in ${payload.work_dir}`;
  return `ok ${JSON.stringify(payload)}`;
}
