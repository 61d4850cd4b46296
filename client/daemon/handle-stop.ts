import type { StopCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";
import type { AgentTable } from "./create-agent-table.js";
import type { CommandResult } from "./handle-launch.js";

/** Grace between SIGTERM and SIGKILL when the command gives none: 10 s. */
export const defaultStopGraceMs = 10_000;

/**
 * Carries out a stop command: SIGTERM to the session's agent, SIGKILL after the
 * grace, acknowledged once the process is gone with `{ result: "stopped" }`.
 * A session without a running agent answers `{ result: "already_exited" }`.
 */
export async function handleStop(agents: AgentTable, stop: StopCommand): Promise<CommandResult> {
  const record = agents.bySession(stop.sessionId);
  if (record === undefined) return { status: "ok", payload: { result: "already_exited" } };
  const grace = stop.grace;
  const graceMs =
    grace === undefined ? defaultStopGraceMs : Math.max(0, Number(grace.seconds) * 1000 + grace.nanos / 1e6);
  record.stopRequested = true;
  const result = await record.agent.stop(graceMs);
  return { status: "ok", payload: { result } };
}
