import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Acknowledgement, SessionPatch } from "../store/store.js";

function str(value: JsonValue | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The `code: message` of an error acknowledgement's `payload.error`. */
export function errorMessageOf(payload: JsonObject): string {
  const error = payload.error;
  if (error && typeof error === "object" && !Array.isArray(error)) {
    const message = str(error.message);
    const code = str(error.code);
    if (message) return code ? `${code}: ${message}` : message;
  }
  return "the daemon reported an error";
}

/**
 * What an acknowledgement writes on its session: the acknowledgement itself,
 * the fields the daemon reported (only those it did), and for an error its
 * `code: message` (also the message of the events the move appends).
 */
export function ackPatch(result: Acknowledgement): { patch: Omit<SessionPatch, "state" | "updatedAt">; errorMessage: string } {
  const p = result.payload;
  const errorMessage = result.status === "ok" ? "" : errorMessageOf(p);
  const patch: Omit<SessionPatch, "state" | "updatedAt"> = {
    acknowledgement: result,
    agentSessionId: str(p.agent_session_id),
    provider: str(p.provider),
    model: str(p.model),
    workDir: str(p.work_dir),
    branch: str(p.branch),
    pid: typeof p.pid === "number" ? p.pid : undefined,
    errorMessage,
  };
  for (const key of Object.keys(patch) as (keyof typeof patch)[]) if (patch[key] === undefined) delete patch[key];
  return { patch, errorMessage };
}
