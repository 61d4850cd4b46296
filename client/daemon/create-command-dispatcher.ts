import { ConnectError } from "@connectrpc/connect";
import type { DaemonCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { SessionState } from "../../gen/workspaces/v1/session_pb.js";
import { type AgentEntry, type AgentRegistry, agentEntry, type RecordedExit } from "./create-agent-registry.js";
import type { AgentRecord, AgentTable } from "./create-agent-table.js";
import { callWithRetry } from "./call-with-retry.js";
import type { CommandJournal } from "./create-command-journal.js";
import { tail, toDaemonError } from "./daemon-error.js";
import { type CommandResult, handleLaunch, type LaunchContext } from "./handle-launch.js";
import { handleMessage } from "./handle-message.js";
import { handleStop } from "./handle-stop.js";
import { interruptedResult } from "./interrupted-result.js";
import type { ReportQueue, StateReport } from "./create-report-queue.js";
import type { ReportStream } from "./create-report-stream.js";
import type { AgentExit } from "./spawn-agent.js";

/** What the dispatcher needs from runDaemon. */
export interface CommandDispatcherOptions {
  /** Where acknowledgements go: one attempt each, retried here while the failure is transient. */
  reportStream: ReportStream;
  agents: AgentTable;
  /** Where agent entries are kept; an entry is removed once the agent's end was reported. */
  registry: AgentRegistry;
  /** Delivers state reports, keeping them while the server is unreachable. */
  reports: ReportQueue;
  /** The commands received and their results, already open: each command is carried out at most once. */
  journal: CommandJournal;
  launch: LaunchContext;
  log: (line: string) => void;
  /** The daemon's shutdown: stops retries (a running call is not cut short). */
  signal: AbortSignal;
}

/**
 * Runs commands concurrently, acknowledges each, and reports agent states.
 * A command is carried out at most once per command id, across reconnects
 * and restarts: it is recorded in the journal before it is carried out, and
 * its result before it is acknowledged. A redelivered command is answered
 * with its first acknowledgement (once it has one); one an earlier run
 * received but never finished is not carried out again (interruptedResult).
 */
export interface CommandDispatcher {
  /** Starts carrying out one command, or answers a redelivered one; never throws. */
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
  /** Sessions whose agent ended and whose end the server has not yet taken: SubscribeRequest.ended_sessions. */
  unreportedEnds(): string[];
}

/** Message of an agent that ended while no daemon was watching it. */
export const endedUnwatchedMessage = "the agent exited while no daemon was watching it; exit status unknown";
/** Message of an adopted agent's exit. */
export const adoptedExitMessage = "exit status unknown (the agent was adopted after a daemon restart)";

export function createCommandDispatcher(options: CommandDispatcherOptions): CommandDispatcher {
  const { reportStream, agents, registry, reports, journal, log, signal } = options;
  const transcripts = options.launch.transcripts;
  const permissions = options.launch.permissions;
  const key = options.launch.daemonKey;
  const inflight = new Set<Promise<void>>();
  const watchers = new Set<Promise<void>>();
  // Commands of this run still being carried out; the finished ones are in the journal.
  const inProgress = new Map<string, Promise<CommandResult>>();
  // The agents an earlier run left, adopted or ended, to answer the launches it never finished.
  const adoptedAgents = new Map<string, AgentRecord>();
  const endedAgents = new Map<string, AgentEntry>();
  // Ends recorded but not yet delivered (the report is retrying, or kept for the next subscription).
  const unreported = new Set<string>();
  let abandoned = false;

  const track = (set: Set<Promise<void>>, task: Promise<void>) => {
    set.add(task);
    void task.finally(() => set.delete(task));
  };

  async function acknowledge(commandId: string, result: CommandResult): Promise<void> {
    try {
      await callWithRetry(() => reportStream.acknowledge({ commandId, status: result.status, payload: result.payload }), { signal });
    } catch (error) {
      log(`daemon: acknowledging command ${commandId} failed: ${ConnectError.from(error).message}`);
    }
  }

  async function watch(sessionId: string, record: AgentRecord, reportRunning: boolean): Promise<void> {
    // From the moment the agent leaves the table (even while `running` is still being reported) until the server has its end.
    const delivered = record.agent.exited.then(() => reported(sessionId));
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
    // The transcript's last entries (and permission decisions) come before the end in the session's history.
    await permissions?.finish(sessionId);
    await transcripts?.finish(sessionId);
    if (abandoned) return;
    await reports.send(toReport(sessionId, end), await delivered);
  }

  /** Marks the end of `sessionId` as on its way; the returned callback, run once the server took it, removes it and its entry. */
  function reported(sessionId: string): () => Promise<void> {
    unreported.add(sessionId);
    return async () => {
      unreported.delete(sessionId);
      await registry.remove(sessionId, { logs: true });
    };
  }

  async function run(command: DaemonCommand): Promise<CommandResult> {
    try {
      switch (command.kind.case) {
        case "launch":
          return await handleLaunch(options.launch, command.kind.value);
        case "stop":
          return await handleStop(agents, command.kind.value);
        case "message":
          return await handleMessage({ agents, transcripts }, command.kind.value);
        case "permissionAnswer":
          if (permissions === undefined) return errorResult("request_not_found", "this daemon relays no permission requests");
          return await permissions.answer(command.kind.value);
        default:
          return errorResult("unsupported_command", "this daemon does not know the command");
      }
    } catch (error) {
      const failure = toDaemonError(error);
      return errorResult(failure.code, failure.message);
    }
  }

  /** Records "received" durably, then carries the command out; a command that cannot be recorded is not carried out. */
  async function receiveAndRun(command: DaemonCommand): Promise<CommandResult> {
    try {
      await journal.received({ commandId: command.commandId, kind: command.kind.case ?? "", sessionId: sessionOf(command) });
    } catch (error) {
      const reason = (error as Error).message;
      log(`daemon: ${describe(command)}: could not record it in ${journal.file}: ${reason}`);
      return errorResult("journal_failed", "the daemon could not record the command in its state directory, so it did not carry it out");
    }
    return run(command);
  }

  /** Records the result, then acknowledges it (and watches a launched agent). */
  async function settle(command: DaemonCommand, result: Promise<CommandResult>): Promise<void> {
    const { commandId } = command;
    inProgress.set(commandId, result);
    const outcome = await result;
    try {
      await journal.finished(commandId, { status: outcome.status, payload: outcome.payload });
    } catch (error) {
      log(`daemon: ${describe(command)}: could not record its result in ${journal.file}: ${(error as Error).message}`);
    } finally {
      inProgress.delete(commandId);
    }
    log(`daemon: ${describe(command)} -> ${summary(outcome)}`);
    await acknowledge(commandId, outcome);
    if (outcome.watch !== undefined && command.kind.case === "launch") {
      track(watchers, watch(command.kind.value.sessionId, outcome.watch, true));
    }
  }

  /** Answers a command this daemon has seen before, without carrying it out again; false for a new one. */
  function answerAgain(command: DaemonCommand): boolean {
    const { commandId } = command;
    const running = inProgress.get(commandId);
    if (running !== undefined) {
      log(`daemon: ${describe(command)} was received again while in progress; acknowledging it once done`);
      track(inflight, running.then((result) => acknowledge(commandId, result)));
      return true;
    }
    const known = journal.get(commandId);
    if (known === undefined) return false;
    if (known.result !== undefined) {
      log(`daemon: ${describe(command)} was carried out before; acknowledging it again`);
      track(inflight, acknowledge(commandId, known.result));
      return true;
    }
    // An answer is written at most once however often it is carried out: an interrupted one runs again.
    if (known.kind === "permissionAnswer") {
      track(inflight, settle(command, run(command)));
      return true;
    }
    // Received by an earlier run that never recorded its result: it is not carried out again.
    const adopted = adoptedAgents.get(known.sessionId);
    const result = interruptedResult(known, { adopted, ended: endedAgents.get(known.sessionId) });
    log(`daemon: ${describe(command)} was interrupted by a daemon restart; not carrying it out again`);
    track(inflight, settle(command, Promise.resolve(result)));
    return true;
  }

  return {
    dispatch(command) {
      if (command.kind.case === "ping") return;
      if (answerAgain(command)) return;
      track(inflight, settle(command, receiveAndRun(command)));
    },
    async drain() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
    async drainReports() {
      while (watchers.size > 0) await Promise.allSettled([...watchers]);
    },
    adopt(sessionId, record) {
      adoptedAgents.set(sessionId, record);
      const resumed = transcripts?.open(sessionId, { provider: record.provider, stdoutPath: record.agent.stdoutPath });
      const relayed = (resumed ?? Promise.resolve()).then(() => permissions?.open(sessionId, record.workspaceId));
      track(watchers, relayed.then(() => watch(sessionId, record, false)));
    },
    reportEnded(entry) {
      endedAgents.set(entry.session_id, entry);
      const end: RecordedExit = entry.exit ?? { state: "exited", message: endedUnwatchedMessage };
      log(`daemon: session ${entry.session_id}: ${end.message || `agent exited with code ${end.exit_code}`}`);
      const done = reported(entry.session_id);
      if (transcripts === undefined) {
        reports.keep(toReport(entry.session_id, end), done);
        return;
      }
      // What the agent wrote while no daemon watched goes out before its end.
      const finished = transcripts
        .open(entry.session_id, { provider: entry.provider, stdoutPath: entry.stdout_path })
        .then(() => permissions?.finish(entry.session_id, entry.workspace_id))
        .then(() => transcripts.finish(entry.session_id))
        .then(async () => {
          if (!abandoned) await reports.send(toReport(entry.session_id, end), done);
        });
      track(watchers, finished);
    },
    abandon() {
      abandoned = true;
      permissions?.stopAll();
      transcripts?.stopAll();
    },
    unreportedEnds: () => [...unreported],
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

/** The session a command is about; "" for a ping. */
function sessionOf(command: DaemonCommand): string {
  const kind = command.kind;
  return kind.case === undefined || kind.case === "ping" ? "" : kind.value.sessionId;
}

function describe(command: DaemonCommand): string {
  const sessionId = sessionOf(command);
  return `${command.kind.case ?? "unknown"} command ${command.commandId}${sessionId ? ` session ${sessionId}` : ""}`;
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
