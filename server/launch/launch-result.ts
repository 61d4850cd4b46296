import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { type LaunchWorkspaceSessionResponse, LaunchWorkspaceSessionResponseSchema } from "../../gen/workspaces/v1/launch_pb.js";
import type { Acknowledgement, SessionRecord } from "../store/store.js";

/** The `{status, payload}` a launch returns. */
export type LaunchResult = Acknowledgement;

/** The payload's fields in the order the API documents them: our ids, then the daemon's; others follow in the order given. */
const documentedOrder = ["session_id", "workspace_id", "machine_id", "agent_session_id", "provider", "model", "work_dir", "branch", "pid", "error"];

/**
 * Builds the launch response: our ids first, then what the daemon reported,
 * its documented fields in their documented order, then any others. Our ids
 * are never overwritten.
 */
export function launchResult(session: Pick<SessionRecord, "sessionId" | "workspaceId" | "machineId">, ack: Acknowledgement): LaunchResult {
  const payload: JsonObject = { ...ack.payload, session_id: session.sessionId, workspace_id: session.workspaceId, machine_id: session.machineId };
  return { status: ack.status, payload: inDocumentedOrder(payload) };
}

/**
 * A stored launch result with its payload back in the documented order: a
 * store may not keep the order of an object's keys (PostgreSQL's jsonb does
 * not), and callers see the same bytes on every engine.
 */
export function orderedLaunchResult(result: LaunchResult): LaunchResult;
export function orderedLaunchResult(result: LaunchResult | undefined): LaunchResult | undefined;
export function orderedLaunchResult(result: LaunchResult | undefined): LaunchResult | undefined {
  return result && { status: result.status, payload: inDocumentedOrder(result.payload) };
}

function inDocumentedOrder(payload: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of documentedOrder) {
    const value = payload[key];
    if (value !== undefined) out[key] = value as JsonValue;
  }
  for (const [key, value] of Object.entries(payload)) if (!(key in out)) out[key] = value as JsonValue;
  return out;
}

const text = (value: JsonValue | undefined): string => (typeof value === "string" ? value : "");

/** A process id as an int32: a whole number from 0 to 2^31-1, else 0 (not reported, or not a pid). */
function pidOf(value: JsonValue | undefined): number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0x7fffffff ? value : 0;
}

/**
 * The API message of a launch result: `status` and the payload in the
 * documented order (the original API's `{status, payload}`), and beside them
 * the typed fields read from that same payload. What does not have the
 * documented type (a `pid` that is not a whole number, an `error` that is not
 * an object) stays in `payload` only.
 */
export function launchResponse(result: LaunchResult): LaunchWorkspaceSessionResponse {
  const payload = inDocumentedOrder(result.payload);
  const error = payload.error;
  return create(LaunchWorkspaceSessionResponseSchema, {
    status: result.status,
    payload,
    sessionId: text(payload.session_id),
    machineId: text(payload.machine_id),
    agentSessionId: text(payload.agent_session_id),
    provider: text(payload.provider),
    model: text(payload.model),
    workDir: text(payload.work_dir),
    branch: text(payload.branch),
    pid: pidOf(payload.pid),
    error:
      error !== null && typeof error === "object" && !Array.isArray(error)
        ? { code: text(error.code), message: text(error.message) }
        : undefined,
  });
}
