import { describe, expect, it } from "vitest";
import { createCodexConversation } from "../../../client/daemon/create-codex-conversation.js";
import type { AgentExit, RunningAgent } from "../../../client/daemon/spawn-agent.js";

/** A turn whose end the test decides. */
function fakeTurn(pid: number, threadId = "thread-1") {
  let exit: AgentExit | undefined;
  let end: (e: AgentExit) => void = () => undefined;
  const exited = new Promise<AgentExit>((resolve) => {
    end = resolve;
  });
  const turn: RunningAgent & { end(e: AgentExit): void; stopped: boolean } = {
    pid,
    startTime: `t${pid}`,
    stdoutPath: "out",
    stderrPath: "err",
    agentSessionId: threadId,
    exited,
    exitStatus: () => exit,
    stderrTail: () => "",
    stdoutLines: () => [],
    stopped: false,
    async stop() {
      turn.stopped = true;
      turn.end({ code: null, signal: "SIGTERM" });
      return "stopped";
    },
    release() {},
    end(e) {
      exit = e;
      end(e);
    },
  };
  return turn;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("createCodexConversation", () => {
  it("stays alive between turns and runs each message as the next turn of the same thread", async () => {
    const first = fakeTurn(10);
    const started: [string, string][] = [];
    const turns = [fakeTurn(11), fakeTurn(12)];
    const conversation = createCodexConversation({
      first,
      startTurn: async (threadId, text) => {
        started.push([threadId, text]);
        return turns.shift()!;
      },
    });
    const second = turns[0]!;
    await conversation.send("queued while the first runs");
    expect(started).toEqual([]);
    first.end({ code: 0, signal: null });
    await tick();
    await tick();
    expect(started).toEqual([["thread-1", "queued while the first runs"]]);
    expect(conversation.pid).toBe(11);
    second.end({ code: 0, signal: null });
    await tick();
    expect(conversation.exitStatus()).toBeUndefined();
    await conversation.send("when idle");
    expect(started.at(-1)).toEqual(["thread-1", "when idle"]);
    expect(conversation.pid).toBe(12);
  });

  it("ends with a turn that fails, and refuses messages afterwards", async () => {
    const first = fakeTurn(10);
    const conversation = createCodexConversation({ first, startTurn: async () => fakeTurn(11) });
    first.end({ code: 3, signal: null });
    expect(await conversation.exited).toEqual({ code: 3, signal: null });
    await expect(conversation.send("late")).rejects.toThrow(/ended/);
  });

  it("stops the running turn, or ends at once when idle, exiting 0", async () => {
    const first = fakeTurn(10);
    const busy = createCodexConversation({ first, startTurn: async () => fakeTurn(11) });
    expect(await busy.stop(100)).toBe("stopped");
    expect(first.stopped).toBe(true);
    expect(await busy.exited).toEqual({ code: null, signal: "SIGTERM" });

    const done = fakeTurn(20);
    const idle = createCodexConversation({ first: done, startTurn: async () => fakeTurn(21) });
    done.end({ code: 0, signal: null });
    await tick();
    expect(await idle.stop(100)).toBe("stopped");
    expect(await idle.exited).toEqual({ code: 0, signal: null });
    expect(await idle.stop(100)).toBe("already_exited");
  });
});
