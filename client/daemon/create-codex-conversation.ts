import type { AgentExit, RunningAgent } from "./spawn-agent.js";

/**
 * A Codex session across turns: `codex exec` runs one turn and exits, so a
 * follow-up message runs the next one as `codex exec resume <thread> --json
 * -- <text>` (appending to the same output files). The conversation is a
 * RunningAgent that lives from its first turn until it is stopped or a turn
 * fails: between turns it is idle, still running as far as the server sees.
 */
export interface CodexConversation extends RunningAgent {
  /**
   * Runs `text` as the next turn: when idle, resolves once that turn started;
   * while a turn runs, resolves at once and the message waits for its end.
   * Rejects when the conversation is over or (idle) the turn cannot start.
   */
  send(text: string): Promise<void>;
}

export interface CodexConversationOptions {
  /** The first turn, already started. */
  first: RunningAgent;
  /** Starts a turn resuming `threadId` with `text` (spawnAgent with the resume argv). */
  startTurn: (threadId: string, text: string) => Promise<RunningAgent>;
  /** Told about each new turn's process (to record its pid). */
  onTurn?: (turn: RunningAgent) => void;
  /** Told about a queued turn that could not start. */
  log?: (line: string) => void;
}

export function isCodexConversation(agent: RunningAgent): agent is CodexConversation {
  return typeof (agent as Partial<CodexConversation>).send === "function";
}

export function createCodexConversation(options: CodexConversationOptions): CodexConversation {
  let turn: RunningAgent | undefined = options.first;
  let last: RunningAgent = options.first;
  let threadId = options.first.agentSessionId ?? "";
  let end: AgentExit | undefined;
  let stopping = false;
  let resolveEnd: (exit: AgentExit) => void = () => undefined;
  const exited = new Promise<AgentExit>((resolve) => {
    resolveEnd = resolve;
  });
  const queue: { text: string; started: (error?: Error) => void }[] = [];

  const finish = (exit: AgentExit) => {
    if (end !== undefined) return;
    end = exit;
    for (const waiting of queue.splice(0)) waiting.started(new Error("the conversation ended"));
    resolveEnd(exit);
  };

  function watch(current: RunningAgent): void {
    void current.exited.then((exit) => {
      threadId = current.agentSessionId || threadId;
      turn = undefined;
      // A turn that ended well leaves the conversation idle; any other end is the conversation's.
      if (stopping || exit.code !== 0 || exit.signal !== null) return finish(exit);
      void next();
    });
  }

  async function next(): Promise<void> {
    const waiting = queue.shift();
    if (waiting === undefined || end !== undefined) return;
    try {
      const started = await options.startTurn(threadId, waiting.text);
      turn = started;
      last = started;
      options.onTurn?.(started);
      waiting.started();
      watch(started);
    } catch (error) {
      waiting.started(error as Error);
      options.log?.(`daemon: codex thread ${threadId}: the next turn did not start (${(error as Error).message})`);
      void next();
    }
  }

  watch(options.first);
  return {
    get pid() {
      return last.pid;
    },
    get startTime() {
      return last.startTime;
    },
    stdoutPath: options.first.stdoutPath,
    stderrPath: options.first.stderrPath,
    get agentSessionId() {
      return last.agentSessionId || threadId || undefined;
    },
    exited,
    exitStatus: () => end,
    stderrTail: () => last.stderrTail(),
    stdoutLines: () => last.stdoutLines(),
    async stop(graceMs) {
      if (end !== undefined) return "already_exited";
      stopping = true;
      if (turn === undefined) {
        finish({ code: 0, signal: null });
        return "stopped";
      }
      await turn.stop(graceMs);
      await exited;
      return "stopped";
    },
    release() {
      last.release();
    },
    send(text) {
      if (end !== undefined) return Promise.reject(new Error("the conversation ended"));
      if (turn !== undefined) {
        queue.push({ text, started: () => undefined });
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ text, started: (error) => (error ? reject(error) : resolve()) });
        void next();
      });
    },
  };
}
