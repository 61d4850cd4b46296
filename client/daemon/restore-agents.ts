import { adoptAgent } from "./adopt-agent.js";
import type { AgentEntry, AgentRegistry } from "./create-agent-registry.js";
import type { AgentRecord, AgentTable } from "./create-agent-table.js";
import { findMarkedAgent } from "./find-marked-agent.js";
import { isSameProcess } from "./process-identity.js";

/** Options of restoreAgents. */
export interface RestoreAgentsOptions {
  registry: AgentRegistry;
  /**
   * daemonKey() of this daemon with each of its servers: entries of other
   * daemons are left alone.
   */
  daemonKeys: readonly string[];
  /** The adopted agents are added to it. */
  agents: AgentTable;
  log: (line: string) => void;
  /** Liveness poll of adopted agents (see adoptAgent); default 500 ms. */
  pollMs?: number;
}

/** What an earlier run of the daemon left behind. */
export interface RestoredAgents {
  /** Sessions whose agent still runs (same pid and start time), now in the table. */
  adopted: { sessionId: string; record: AgentRecord }[];
  /** Entries whose agent ended, or whose end was recorded but not reported. */
  ended: AgentEntry[];
}

/**
 * Reads the registry at startup: agents that still run (the process with the
 * entry's pid has the entry's start time, so a reused pid does not count) are
 * adopted into the table, one record per process even when several sessions
 * share it; the others are returned as ended.
 */
export async function restoreAgents(options: RestoreAgentsOptions): Promise<RestoredAgents> {
  const { registry, agents, log } = options;
  const entries = await registry.load();
  const mine = entries.filter((entry) => options.daemonKeys.includes(entry.daemon_key));
  if (mine.length < entries.length) {
    log(`daemon: leaving ${entries.length - mine.length} agent entry(ies) of other daemons in ${registry.dir} alone`);
  }
  const result: RestoredAgents = { adopted: [], ended: [] };
  const byProcess = new Map<string, AgentRecord>();
  for (const found of mine) {
    const entry = found.pid === 0 && found.exit === undefined ? withMarkedAgent(found, log) : found;
    if (entry.exit !== undefined || !isSameProcess(entry.pid, entry.start_time)) {
      result.ended.push(entry);
      continue;
    }
    const processKey = `${entry.pid}:${entry.start_time}`;
    const existing = byProcess.get(processKey);
    if (existing !== undefined) {
      agents.attach(entry.session_id, existing);
      result.adopted.push({ sessionId: entry.session_id, record: existing });
      continue;
    }
    const record: AgentRecord = {
      agent: adoptAgent({
        pid: entry.pid,
        startTime: entry.start_time,
        agentSessionId: entry.agent_session_id,
        stdoutPath: entry.stdout_path,
        stderrPath: entry.stderr_path,
        pollMs: options.pollMs,
      }),
      provider: entry.provider,
      model: entry.model,
      workspaceId: entry.workspace_id,
      workDir: entry.work_dir,
      branch: entry.branch,
      agentSessionId: entry.agent_session_id,
      sessionIds: new Set(),
      stopRequested: false,
      startedAt: entry.started_at,
      adopted: true,
      ...(entry.stdin_path ? { stdinPath: entry.stdin_path } : {}),
    };
    byProcess.set(processKey, record);
    agents.add(entry.session_id, record);
    result.adopted.push({ sessionId: entry.session_id, record });
    log(`daemon: adopted the agent of session ${entry.session_id} (pid ${entry.pid}) left by an earlier run`);
  }
  return result;
}

/**
 * An entry written before its agent's spawn (pid 0) by a run that died before
 * it recorded the pid: the agent, when it was started, is the process whose
 * environment names the session. Without one, the entry stays pid 0 (ended).
 */
function withMarkedAgent(entry: AgentEntry, log: (line: string) => void): AgentEntry {
  const agent = findMarkedAgent(entry.session_id);
  if (agent === undefined) return entry;
  log(`daemon: found the agent of session ${entry.session_id} (pid ${agent.pid}), started as an earlier run stopped`);
  return { ...entry, pid: agent.pid, start_time: agent.startTime };
}
