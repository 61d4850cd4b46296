import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Acknowledgement, SessionRecord } from "../store/store.js";

/** The `{status, payload}` a launch returns. */
export type LaunchResult = Acknowledgement;

/** Builds the launch response: our ids first, then what the daemon reported (our ids are never overwritten). */
export function launchResult(session: Pick<SessionRecord, "sessionId" | "workspaceId" | "machineId">, ack: Acknowledgement): LaunchResult {
  const payload: JsonObject = {
    session_id: session.sessionId,
    workspace_id: session.workspaceId,
    machine_id: session.machineId,
  };
  for (const [key, value] of Object.entries(ack.payload)) {
    if (key in payload) continue;
    payload[key] = value as JsonValue;
  }
  return { status: ack.status, payload };
}
