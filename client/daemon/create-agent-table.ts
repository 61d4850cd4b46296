import type { AgentProvider } from "./agent-argv.js";
import type { RunningAgent } from "./spawn-agent.js";

/** An agent the daemon started, and the sessions served by it. */
export interface AgentRecord {
  agent: RunningAgent;
  provider: AgentProvider;
  /** Model it was started with; "" for the provider's default. */
  model: string;
  /** Workspace it was launched for. */
  workspaceId: string;
  workDir: string;
  /** Worktree branch; "" when it runs in the workspace root. */
  branch: string;
  /** The agent's own session id; "" when unknown. */
  agentSessionId: string;
  /** Server sessions served by this agent: the launching one and any attached. */
  sessionIds: Set<string>;
  /** Set once the daemon asked the agent to stop (stop command or shutdown). */
  stopRequested: boolean;
  /** When it was started (ISO 8601). */
  startedAt: string;
  /** True for an agent started by an earlier run of the daemon (not our child). */
  adopted: boolean;
  /** The FIFO follow-up messages are written to as stream-json user events (Claude Code); absent when it takes none. */
  stdinPath?: string;
}

/** A running session as sent in SubscribeRequest.running_sessions. */
export interface RunningSessionInfo {
  sessionId: string;
  pid: number;
  agentSessionId: string;
}

/** The daemon's agents, by session id; exited agents leave the table. */
export interface AgentTable {
  /** Adds a new agent for `sessionId`; it leaves the table when it exits. */
  add(sessionId: string, record: AgentRecord): void;
  /** Serves `sessionId` by an agent already in the table too. */
  attach(sessionId: string, record: AgentRecord): void;
  bySession(sessionId: string): AgentRecord | undefined;
  /** The running agent whose own session id is `agentSessionId`. */
  byAgentSession(agentSessionId: string): AgentRecord | undefined;
  records(): AgentRecord[];
  running(): RunningSessionInfo[];
}

export function createAgentTable(): AgentTable {
  const bySession = new Map<string, AgentRecord>();
  const remove = (record: AgentRecord) => {
    for (const id of record.sessionIds) if (bySession.get(id) === record) bySession.delete(id);
  };
  const alive = (record: AgentRecord) => record.agent.exitStatus() === undefined;
  return {
    add(sessionId, record) {
      record.sessionIds.add(sessionId);
      bySession.set(sessionId, record);
      void record.agent.exited.then(() => remove(record));
    },
    attach(sessionId, record) {
      record.sessionIds.add(sessionId);
      bySession.set(sessionId, record);
    },
    bySession: (sessionId) => bySession.get(sessionId),
    byAgentSession(agentSessionId) {
      if (agentSessionId === "") return undefined;
      for (const record of bySession.values()) {
        const id = record.agentSessionId || record.agent.agentSessionId;
        if (id === agentSessionId && alive(record)) return record;
      }
      return undefined;
    },
    records: () => [...new Set(bySession.values())],
    running() {
      const sessions: RunningSessionInfo[] = [];
      for (const [sessionId, record] of bySession) {
        if (!alive(record)) continue;
        sessions.push({ sessionId, pid: record.agent.pid, agentSessionId: record.agentSessionId });
      }
      return sessions;
    },
  };
}
