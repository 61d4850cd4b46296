import type { SessionPatch, SessionRecord, SessionStateName } from "../store.js";
import { acknowledgementFrom, acknowledgementJson, jsonObject } from "./sqlite-rows.js";

/** The sessions table's rows and their mapping to session records and patches. */

export interface SessionRow {
  session_id: string;
  workspace_id: string;
  machine_id: string;
  state: string;
  provider: string;
  model: string;
  agent_session_id: string;
  work_dir: string;
  branch: string;
  pid: number;
  exit_code: number | null;
  error_message: string;
  metadata_json: string;
  ack_json: string;
  initial_prompt: string;
  settings_json: string;
  transcript_length: number;
  stopped_by: string;
  stop_time: number;
  created_at: number;
  updated_at: number;
}

/** Bind values for `updateSession`: a null column keeps its stored value. */
export type SessionPatchParams = { [K in keyof SessionRow]: SessionRow[K] | null };

export function sessionFromRow(row: SessionRow): SessionRecord {
  return {
    sessionId: row.session_id,
    workspaceId: row.workspace_id,
    machineId: row.machine_id,
    state: row.state as SessionStateName,
    provider: row.provider,
    model: row.model,
    agentSessionId: row.agent_session_id,
    workDir: row.work_dir,
    branch: row.branch,
    pid: row.pid,
    exitCode: row.exit_code ?? undefined,
    errorMessage: row.error_message,
    metadata: jsonObject(row.metadata_json) ?? {},
    acknowledgement: acknowledgementFrom(row.ack_json),
    initialPrompt: row.initial_prompt,
    settings: jsonObject(row.settings_json),
    transcriptLength: row.transcript_length,
    stoppedBy: row.stopped_by,
    stopTime: row.stop_time,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function sessionToRow(session: SessionRecord): SessionRow {
  return {
    session_id: session.sessionId,
    workspace_id: session.workspaceId,
    machine_id: session.machineId,
    state: session.state,
    provider: session.provider,
    model: session.model,
    agent_session_id: session.agentSessionId,
    work_dir: session.workDir,
    branch: session.branch,
    pid: session.pid,
    exit_code: session.exitCode ?? null,
    error_message: session.errorMessage,
    metadata_json: JSON.stringify(session.metadata),
    ack_json: acknowledgementJson(session.acknowledgement),
    initial_prompt: session.initialPrompt ?? "",
    settings_json: session.settings ? JSON.stringify(session.settings) : "",
    transcript_length: session.transcriptLength ?? 0,
    stopped_by: session.stoppedBy ?? "",
    stop_time: session.stopTime ?? 0,
    created_at: session.createdAt,
    updated_at: session.updatedAt,
  };
}

/** A patch as bind values: a field left undefined keeps its stored value (so `exitCode` cannot be cleared); a null acknowledgement clears it. */
export function patchToParams(sessionId: string, patch: SessionPatch): SessionPatchParams {
  return {
    session_id: sessionId,
    workspace_id: null,
    machine_id: patch.machineId ?? null,
    state: patch.state ?? null,
    provider: patch.provider ?? null,
    model: patch.model ?? null,
    agent_session_id: patch.agentSessionId ?? null,
    work_dir: patch.workDir ?? null,
    branch: patch.branch ?? null,
    pid: patch.pid ?? null,
    exit_code: patch.exitCode ?? null,
    error_message: patch.errorMessage ?? null,
    metadata_json: patch.metadata !== undefined ? JSON.stringify(patch.metadata) : null,
    ack_json: patch.acknowledgement !== undefined ? acknowledgementJson(patch.acknowledgement ?? undefined) : null,
    initial_prompt: patch.initialPrompt ?? null,
    settings_json: "settings" in patch ? (patch.settings ? JSON.stringify(patch.settings) : "") : null,
    transcript_length: patch.transcriptLength ?? null,
    stopped_by: patch.stoppedBy ?? null,
    stop_time: patch.stopTime ?? null,
    created_at: null,
    updated_at: patch.updatedAt,
  };
}
