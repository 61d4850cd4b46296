import { fromBinary, type JsonObject } from "@bufbuild/protobuf";
import { DaemonCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import type {
  Acknowledgement,
  CommandKind,
  CommandRecord,
  IdempotencyRecord,
  IdempotentOutcome,
  MachineRecord,
  PermissionDecisionName,
  PermissionModeName,
  NewSessionEvent,
  SessionEventRecord,
  SessionRecord,
  SessionStateName,
  TokenKind,
  TokenRecord,
  TokenScope,
  TranscriptEntryRecord,
  WorkspaceRecord,
} from "../store.js";

/**
 * Rows as `pg` returns them, and their mapping to records: this file is where
 * the PostgreSQL store turns domain values into column values and back.
 * BIGINT (times, sequences) arrives as a decimal string and leaves as a
 * number; `jsonb` arrives parsed and is sent as JSON text; NULL is undefined.
 *
 * PostgreSQL cannot hold U+0000 in text nor U+0000 or a lone surrogate in
 * jsonb: they are stored as U+FFFD (�) instead of failing the write.
 */

/** A BIGINT column as `pg` returns it. */
type Int8 = string;

export interface WorkspaceRow {
  workspace_id: string;
  default_machine_id: string | null;
  created_at: Int8;
  default_permission_mode: string;
  permission_ceiling: string;
  approval_timeout_ms: Int8;
  approval_default_decision: string;
}

export interface MachineRow {
  machine_id: string;
  workspace_id: string;
  daemon_version: string;
  hostname: string;
  last_seen_at: Int8 | null;
  created_at: Int8;
}

export interface TokenRow {
  token_id: string;
  kind: string;
  hash_hex: string;
  machine_id: string | null;
  scopes: string[];
  label: string;
  created_at: Int8;
  revoked_at: Int8 | null;
  /** Its workspaces in id order (an ARRAY subquery). */
  workspace_ids: string[];
}

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
  metadata: JsonObject;
  acknowledgement: Acknowledgement | null;
  created_at: Int8;
  updated_at: Int8;
  initial_prompt: string;
  settings: JsonObject | null;
  transcript_length: Int8;
  stopped_by: string;
  stop_time: Int8;
}

export interface SessionEventRow {
  session_id: string;
  sequence: Int8;
  type: string;
  state: string;
  machine_id: string;
  acknowledgement: Acknowledgement | null;
  exit_code: number | null;
  message: string;
  created_at: Int8;
  entry: TranscriptEntryRecord | null;
}

export interface CommandRow {
  command_id: string;
  machine_id: string;
  session_id: string;
  kind: string;
  command: Buffer | null;
  deadline_at: Int8 | null;
  created_at: Int8;
  ack_status: string;
  ack_payload: JsonObject | null;
  acked_at: Int8 | null;
}

export interface IdempotencyRow {
  token_id: string;
  key: string;
  session_id: string;
  request_hash: string;
  outcome: IdempotentOutcome | null;
  created_at: Int8;
}

export function workspaceFromRow(row: WorkspaceRow): WorkspaceRecord {
  return {
    workspaceId: row.workspace_id,
    defaultMachineId: row.default_machine_id ?? undefined,
    permissions: {
      defaultMode: row.default_permission_mode as PermissionModeName,
      ceiling: row.permission_ceiling as PermissionModeName,
      approvalTimeoutMs: Number(row.approval_timeout_ms),
      defaultDecision: row.approval_default_decision as PermissionDecisionName,
    },
    createdAt: Number(row.created_at),
  };
}

export function machineFromRow(row: MachineRow): MachineRecord {
  return {
    machineId: row.machine_id,
    workspaceId: row.workspace_id,
    daemonVersion: row.daemon_version,
    hostname: row.hostname,
    lastSeenAt: optionalNumber(row.last_seen_at),
    createdAt: Number(row.created_at),
  };
}

export function tokenFromRow(row: TokenRow): TokenRecord {
  return {
    tokenId: row.token_id,
    kind: row.kind as TokenKind,
    hashHex: row.hash_hex,
    workspaceIds: row.workspace_ids,
    machineId: row.machine_id ?? undefined,
    scopes: row.scopes as TokenScope[],
    label: row.label,
    createdAt: Number(row.created_at),
    revokedAt: optionalNumber(row.revoked_at),
  };
}

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
    metadata: row.metadata,
    acknowledgement: row.acknowledgement ?? undefined,
    initialPrompt: row.initial_prompt,
    settings: row.settings ?? undefined,
    transcriptLength: Number(row.transcript_length),
    stoppedBy: row.stopped_by,
    stopTime: Number(row.stop_time),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function sessionEventFromRow(row: SessionEventRow): SessionEventRecord {
  return {
    sessionId: row.session_id,
    sequence: Number(row.sequence),
    type: row.type,
    state: row.state as SessionStateName,
    machineId: row.machine_id,
    acknowledgement: row.acknowledgement ?? undefined,
    exitCode: row.exit_code ?? undefined,
    message: row.message,
    ...(row.entry ? { entry: row.entry } : {}),
    time: Number(row.created_at),
  };
}

export function commandFromRow(row: CommandRow): CommandRecord {
  return {
    commandId: row.command_id,
    machineId: row.machine_id,
    sessionId: row.session_id,
    kind: row.kind as CommandKind,
    command: fromBinary(DaemonCommandSchema, row.command ?? new Uint8Array()),
    deadlineAt: optionalNumber(row.deadline_at),
    createdAt: Number(row.created_at),
    ackStatus: row.ack_status,
    ackPayload: row.ack_payload ?? undefined,
    ackedAt: optionalNumber(row.acked_at),
  };
}

export function idempotencyFromRow(row: IdempotencyRow): IdempotencyRecord {
  return {
    tokenId: row.token_id,
    key: row.key,
    sessionId: row.session_id,
    requestHash: row.request_hash,
    outcome: row.outcome ?? undefined,
    createdAt: Number(row.created_at),
  };
}

/** An event as insert values: session id, type, state, machine, acknowledgement, exit code, message, time, entry. */
export function eventToParams(event: NewSessionEvent): unknown[] {
  return [
    event.sessionId,
    event.type,
    event.state,
    event.machineId,
    jsonb(event.acknowledgement),
    event.exitCode ?? null,
    text(event.message),
    event.now,
    jsonb(event.entry),
  ];
}

/** The record of an appended event, from what was asked and the sequence it got. */
export function appendedEvent(event: NewSessionEvent, sequence: Int8): SessionEventRecord {
  const { now, ...rest } = event;
  return { ...rest, sequence: Number(sequence), time: now };
}

/** Free text for a text column: U+0000, which PostgreSQL refuses, becomes U+FFFD. */
export function text(value: string): string {
  return value.includes("\0") ? value.replaceAll("\0", "\uFFFD") : value;
}

/** Free text for a text column, or NULL (keep the stored value) when undefined. */
export function optionalText(value: string | undefined): string | null {
  return value === undefined ? null : text(value);
}

/**
 * A value for a jsonb column as JSON text (NULL for undefined). The escapes
 * jsonb refuses, `\u0000` and lone surrogates (JSON.stringify writes
 * surrogate pairs as characters, so any `\ud800`–`\udfff` escape is lone),
 * become `\ufffd`; an escaped backslash before them is left alone.
 */
export function jsonb(
  value: JsonObject | Acknowledgement | IdempotentOutcome | TranscriptEntryRecord | readonly TranscriptEntryRecord[] | undefined,
): string | null {
  if (value === undefined) return null;
  const json = JSON.stringify(value);
  return json.includes("\\u") ? json.replace(/(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g, "$1\\ufffd") : json;
}

function optionalNumber(value: Int8 | null): number | undefined {
  return value === null ? undefined : Number(value);
}
