import type { AgentTable } from "./create-agent-table.js";
import { DaemonError } from "./daemon-error.js";

/** Whether an agent this daemon runs works in `workDir`. */
export function worktreeInUse(agents: AgentTable, workDir: string): boolean {
  return agents.records().some((r) => r.workDir === workDir && r.agent.exitStatus() === undefined);
}

/** Throws `worktree_busy`, naming the sessions, when a running agent already works in `workDir`. */
export function checkWorktreeFree(agents: AgentTable, workDir: string): void {
  const holder = agents.records().find((r) => r.workDir === workDir && r.agent.exitStatus() === undefined);
  if (holder === undefined) return;
  throw new DaemonError(
    "worktree_busy",
    `the worktree ${workDir} is in use by the running agent of session ${[...holder.sessionIds].join(", ")}; stop it first`,
  );
}
