import type { AgentEntry } from "./create-agent-registry.js";
import type { AgentRecord } from "./create-agent-table.js";
import type { JournalEntry } from "./create-command-journal.js";
import { type CommandResult, okResult } from "./handle-launch.js";

/** What the registry showed, at the daemon's start, of the agent of a session. */
export interface KnownAgent {
  /** The agent was running and is adopted (it may have ended since). */
  adopted?: AgentRecord;
  /** The agent had ended while no daemon ran. */
  ended?: AgentEntry;
}

/**
 * The answer to a command an earlier run of the daemon received but never
 * finished (it crashed or was killed in between): the command is never
 * carried out again. A launch whose agent the registry knows is acknowledged
 * `ok` with what is known of that agent (it was started; a running one is
 * adopted, an ended one has its end reported apart); anything else is `error`
 * with code `interrupted`.
 */
export function interruptedResult(entry: JournalEntry, known: KnownAgent): CommandResult {
  if (entry.kind === "launch" && known.adopted !== undefined) return okResult(known.adopted, false);
  if (entry.kind === "launch" && known.ended !== undefined) {
    const agent = known.ended;
    return {
      status: "ok",
      payload: {
        agent_session_id: agent.agent_session_id,
        provider: agent.provider,
        model: agent.model,
        work_dir: agent.work_dir,
        branch: agent.branch,
        pid: agent.pid,
      },
    };
  }
  const what = entry.kind === "launch" ? `; no agent of session ${entry.sessionId} was found, none is started` : "";
  return {
    status: "error",
    payload: {
      error: {
        code: "interrupted",
        message: `the daemon stopped while carrying out this ${entry.kind || "command"}, and does not carry it out twice${what}`,
      },
    },
  };
}
