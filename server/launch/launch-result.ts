import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Acknowledgement, SessionRecord } from "../store/store.js";

/** The `{status, payload}` a launch returns. */
export type LaunchResult = Acknowledgement;

/** The daemon's fields in the order the API documents them; others follow in the order given. */
const daemonFields = ["agent_session_id", "provider", "model", "work_dir", "branch", "pid", "error"];

/**
 * Builds the launch response: our ids first, then what the daemon reported,
 * its documented fields in their documented order (a store may not keep the
 * order of an object's keys: PostgreSQL's jsonb does not), then any others.
 * Our ids are never overwritten.
 */
export function launchResult(session: Pick<SessionRecord, "sessionId" | "workspaceId" | "machineId">, ack: Acknowledgement): LaunchResult {
  const payload: JsonObject = {
    session_id: session.sessionId,
    workspace_id: session.workspaceId,
    machine_id: session.machineId,
  };
  for (const key of daemonFields) {
    const value = ack.payload[key];
    if (value !== undefined) payload[key] = value as JsonValue;
  }
  for (const [key, value] of Object.entries(ack.payload)) {
    if (key in payload) continue;
    payload[key] = value as JsonValue;
  }
  return { status: ack.status, payload };
}
