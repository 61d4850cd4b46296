import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { LaunchCommand } from "../../gen/workspaces/v1/daemon_service_pb.js";
import { DaemonError } from "./daemon-error.js";

/**
 * Throws `deadline_exceeded` once the launch's deadline has passed, checked on
 * its arrival and right before the spawn; a launch without a deadline (from
 * servers that predate it) has none. The server has answered the caller by
 * then, so the agent must not start.
 */
export function checkLaunchDeadline(launch: LaunchCommand, step: "arrival" | "spawn", now: () => number): void {
  if (launch.deadline === undefined) return;
  const deadline = timestampMs(launch.deadline);
  const late = now() - deadline;
  if (late < 0) return;
  const at = new Date(deadline).toISOString();
  const what =
    step === "arrival"
      ? `the launch command arrived ${late} ms after its deadline (${at})`
      : `the launch's deadline (${at}) passed ${late} ms before its agent could be started`;
  throw new DaemonError("deadline_exceeded", `${what}; no agent was started`);
}
