import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { MessageCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { createAgentTable } from "../../../client/daemon/create-agent-table.js";
import type { AgentRecord } from "../../../client/daemon/create-agent-table.js";
import { handleMessage } from "../../../client/daemon/handle-message.js";
import type { RunningAgent } from "../../../client/daemon/spawn-agent.js";
import type { Transcripts } from "../../../client/daemon/transcript/create-transcripts.js";

function record(agent: Partial<RunningAgent> & { send?: (text: string) => Promise<void> }, extra: Partial<AgentRecord> = {}): AgentRecord {
  const running = { pid: 1, startTime: "", stdoutPath: "", stderrPath: "", agentSessionId: undefined, exited: new Promise(() => {}), exitStatus: () => undefined, stderrTail: () => "", stdoutLines: () => [], stop: async () => "stopped" as const, release() {}, ...agent };
  return { agent: running as RunningAgent, provider: "codex", model: "", workspaceId: "ws", workDir: "", branch: "", agentSessionId: "", sessionIds: new Set(), stopRequested: false, startedAt: "", adopted: false, ...extra };
}

const transcripts = (offsets: number[]): Transcripts & { texts: string[] } => {
  const texts: string[] = [];
  return {
    texts,
    open: async () => {},
    appendUser: async (_s, text) => {
      texts.push(text);
      return offsets.shift();
    },
    append: async () => undefined,
    finish: async () => {},
    kickAll() {},
    stopAll() {},
  };
};
const message = (text: string, deadline?: number) =>
  create(MessageCommandSchema, { sessionId: "s1", text, ...(deadline !== undefined ? { deadline: timestampFromMs(deadline) } : {}) });

describe("handleMessage", () => {
  it("adds the message to the transcript, then gives it to a Codex conversation as its next turn", async () => {
    const agents = createAgentTable();
    const turns: string[] = [];
    agents.add("s1", record({ send: async (text) => void turns.push(text) }));
    const t = transcripts([6]);
    expect(await handleMessage({ agents, transcripts: t }, message("next"))).toEqual({ status: "ok", payload: { offset: 6 } });
    expect(t.texts).toEqual(["next"]);
    expect(turns).toEqual(["next"]);
  });

  it("answers agent_not_running without an agent, or for one that exited", async () => {
    const agents = createAgentTable();
    expect((await handleMessage({ agents }, message("hi"))).payload).toMatchObject({ error: { code: "agent_not_running" } });
    agents.attach("s1", record({ exitStatus: () => ({ code: 0, signal: null }) }));
    expect((await handleMessage({ agents }, message("hi"))).payload).toMatchObject({ error: { code: "agent_not_running" } });
  });

  it("answers unsupported_provider for an agent that takes no input", async () => {
    const agents = createAgentTable();
    agents.add("s1", record({}, { provider: "claude_code" }));
    const t = transcripts([1]);
    expect((await handleMessage({ agents, transcripts: t }, message("hi"))).payload).toMatchObject({ error: { code: "unsupported_provider" } });
    expect(t.texts).toEqual([]);
  });

  it("does not deliver a message that arrives past its deadline", async () => {
    const agents = createAgentTable();
    const turns: string[] = [];
    agents.add("s1", record({ send: async (text) => void turns.push(text) }));
    const result = await handleMessage({ agents, now: () => 2000 }, message("late", 1000));
    expect(result.payload).toMatchObject({ error: { code: "deadline_exceeded" } });
    expect(turns).toEqual([]);
  });
});
