import { fromBinary, type JsonObject, toBinary } from "@bufbuild/protobuf";
import { type DaemonCommand, DaemonCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import type {
  Acknowledgement,
  CommandKind,
  CommandRecord,
  IdempotencyRecord,
  IdempotentOutcome,
  MachineRecord,
  NewSessionEvent,
  PermissionDecisionName,
  PermissionModeName,
  SessionEventRecord,
  SessionStateName,
  TokenKind,
  TokenRecord,
  TokenScope,
  TranscriptEntryRecord,
  WorkspaceRecord,
} from "../store.js";
/**
 * Rows as better-sqlite3 returns them (snake_case columns, NULL as null), and
 * their mapping to records: this file is where the SQLite store turns domain
 * values into column values (JSON text for objects) and back.
 */

export interface WorkspaceRow {
  workspace_id: string;
  default_machine_id: string | null;
  created_at: number;
  default_permission_mode: string;
  permission_ceiling: string;
  approval_timeout_ms: number;
  approval_default_decision: string;
}

export interface MachineRow {
  machine_id: string;
  workspace_id: string;
  daemon_version: string;
  hostname: string;
  last_seen_at: number | null;
  created_at: number;
}

export interface TokenRow {
  token_id: string;
  kind: string;
  hash_hex: string;
  machine_id: string | null;
  /** Scope names separated by spaces. */
  scopes: string;
  label: string;
  created_at: number;
  revoked_at: number | null;
}

export interface SessionEventRow {
  session_id: string;
  sequence: number;
  type: string;
  state: string;
  machine_id: string;
  ack_json: string;
  exit_code: number | null;
  message: string;
  created_at: number;
  entry_json: string;
}

export interface CommandRow {
  command_id: string;
  machine_id: string;
  session_id: string;
  kind: string;
  command: Uint8Array | null;
  deadline_at: number | null;
  created_at: number;
  ack_status: string;
  ack_payload_json: string;
  acked_at: number | null;
}

export interface IdempotencyRow {
  token_id: string;
  key: string;
  session_id: string;
  request_hash: string;
  response_json: string;
  created_at: number;
}

export function workspaceFromRow(row: WorkspaceRow): WorkspaceRecord {
  return {
    workspaceId: row.workspace_id,
    defaultMachineId: row.default_machine_id ?? undefined,
    permissions: {
      defaultMode: row.default_permission_mode as PermissionModeName,
      ceiling: row.permission_ceiling as PermissionModeName,
      approvalTimeoutMs: row.approval_timeout_ms,
      defaultDecision: row.approval_default_decision as PermissionDecisionName,
    },
    createdAt: row.created_at,
  };
}

export function machineFromRow(row: MachineRow): MachineRecord {
  return {
    machineId: row.machine_id,
    workspaceId: row.workspace_id,
    daemonVersion: row.daemon_version,
    hostname: row.hostname,
    lastSeenAt: row.last_seen_at ?? undefined,
    createdAt: row.created_at,
  };
}

export function tokenFromRow(row: TokenRow, workspaceIds: string[]): TokenRecord {
  return {
    tokenId: row.token_id,
    kind: row.kind as TokenKind,
    hashHex: row.hash_hex,
    workspaceIds,
    machineId: row.machine_id ?? undefined,
    scopes: row.scopes === "" ? [] : (row.scopes.split(" ") as TokenScope[]),
    label: row.label,
    createdAt: row.created_at,
    revokedAt: row.revoked_at ?? undefined,
  };
}

export function sessionEventFromRow(row: SessionEventRow): SessionEventRecord {
  return {
    sessionId: row.session_id,
    sequence: row.sequence,
    type: row.type,
    state: row.state as SessionStateName,
    machineId: row.machine_id,
    acknowledgement: acknowledgementFrom(row.ack_json),
    exitCode: row.exit_code ?? undefined,
    message: row.message,
    ...(row.entry_json ? { entry: JSON.parse(row.entry_json) as TranscriptEntryRecord } : {}),
    time: row.created_at,
  };
}

export function commandFromRow(row: CommandRow): CommandRecord {
  return {
    commandId: row.command_id,
    machineId: row.machine_id,
    sessionId: row.session_id,
    kind: row.kind as CommandKind,
    command: fromBinary(DaemonCommandSchema, row.command ?? new Uint8Array()),
    deadlineAt: row.deadline_at ?? undefined,
    createdAt: row.created_at,
    ackStatus: row.ack_status,
    ackPayload: jsonObject(row.ack_payload_json),
    ackedAt: row.acked_at ?? undefined,
  };
}

export function idempotencyFromRow(row: IdempotencyRow): IdempotencyRecord {
  return {
    tokenId: row.token_id,
    key: row.key,
    sessionId: row.session_id,
    requestHash: row.request_hash,
    outcome: row.response_json ? (JSON.parse(row.response_json) as IdempotentOutcome) : undefined,
    createdAt: row.created_at,
  };
}

/** JSON text of an object column; "" stands for none. */
export function jsonObject(text: string): JsonObject | undefined {
  return text ? (JSON.parse(text) as JsonObject) : undefined;
}

export function acknowledgementFrom(text: string): Acknowledgement | undefined {
  return text ? (JSON.parse(text) as Acknowledgement) : undefined;
}

/** The ack column of an acknowledgement: "" for none. */
export function acknowledgementJson(ack: Acknowledgement | undefined): string {
  return ack ? JSON.stringify(ack) : "";
}

/** The response column of an idempotency key's outcome. */
export function outcomeJson(outcome: IdempotentOutcome): string {
  return JSON.stringify(outcome);
}

/** The command column: the command as pushed, in the protobuf binary format. */
export function commandBytes(command: DaemonCommand): Uint8Array {
  return toBinary(DaemonCommandSchema, command);
}

/** The payload column of an acknowledged command. */
export function payloadJson(payload: JsonObject): string {
  return JSON.stringify(payload);
}

/** The bind values of `appendSessionEvent` (the session id twice: the row's, and whose sequence is counted). */
export function eventParams(event: NewSessionEvent): [string, string, string, string, string, number | null, string, number, string, string] {
  const { sessionId } = event;
  const entry = event.entry ? JSON.stringify(event.entry) : "";
  return [sessionId, event.type, event.state, event.machineId, acknowledgementJson(event.acknowledgement), event.exitCode ?? null, event.message, event.now, entry, sessionId];
}

/** The record of an appended event, from what was asked and the sequence it got. */
export function appendedEvent(event: NewSessionEvent, sequence: number): SessionEventRecord {
  const { now, ...rest } = event;
  return { ...rest, sequence, time: now };
}
