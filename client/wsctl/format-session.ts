import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import type { Machine } from "../../gen/workspaces/v1/machine_service_pb.js";
import type { Session } from "../../gen/workspaces/v1/session_pb.js";
import { formatTable } from "./cli-output.js";
import { stateName } from "./format-event.js";

/** A timestamp as ISO 8601 UTC to the second; `-` when unset. */
export function formatTime(time: Timestamp | undefined): string {
  if (!time) return "-";
  return timestampDate(time).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `exited (0)`, `failed`, `running`, `stopped (143)`: the state with the exit code once known. */
export function sessionStatus(session: Session): string {
  const state = stateName(session.state);
  return session.exitCode === undefined ? state : `${state} (${session.exitCode})`;
}

/** `sessionStatus`, then who stopped the session and when, once a stop is recorded: `stopped (143) by tok_1 at …`. */
export function sessionStopStatus(session: Session): string {
  const status = sessionStatus(session);
  if (!session.stoppedBy) return status;
  return `${status} by ${session.stoppedBy}${session.stopTime ? ` at ${formatTime(session.stopTime)}` : ""}`;
}

/** Table lines of sessions: id, machine, state, provider, model, branch, pid, created. */
export function formatSessionTable(sessions: readonly Session[]): string[] {
  return formatTable([
    ["SESSION", "MACHINE", "STATE", "PROVIDER", "MODEL", "BRANCH", "PID", "CREATED"],
    ...sessions.map((s) => [
      s.sessionId,
      s.machineId,
      sessionStatus(s),
      s.provider || "-",
      s.model || "-",
      s.branch || "-",
      s.pid ? String(s.pid) : "-",
      formatTime(s.createTime),
    ]),
  ]);
}

/** Table lines of machines: id, workspace, online state, default, host, daemon version, last seen. */
export function formatMachineTable(machines: readonly Machine[]): string[] {
  return formatTable([
    ["MACHINE", "WORKSPACE", "STATE", "DEFAULT", "HOSTNAME", "DAEMON", "LAST SEEN"],
    ...machines.map((m) => [
      m.machineId,
      m.workspaceId,
      m.online ? "online" : "offline",
      m.isDefault ? "yes" : "-",
      m.hostname || "-",
      m.daemonVersion || "-",
      formatTime(m.lastSeenTime),
    ]),
  ]);
}
