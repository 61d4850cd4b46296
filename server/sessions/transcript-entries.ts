import { create, fromJson, type JsonObject, toJson } from "@bufbuild/protobuf";
import { PermissionRequestSchema } from "../../gen/workspaces/v1/permission_pb.js";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type TranscriptEntry,
  TranscriptEntryKind,
  TranscriptEntrySchema,
  TranscriptRole,
} from "../../gen/workspaces/v1/transcript_pb.js";
import { transcriptKinds, transcriptRoles } from "../../client/transcript-entry-names.js";
import type { TranscriptEntryRecord, TranscriptKindName, TranscriptRoleName } from "../store/store.js";

// The shared names (client/transcript-entry-names.ts): a stored name missing from them does not compile.
const roles: Record<TranscriptRoleName, TranscriptRole> = transcriptRoles;
const kinds: Record<TranscriptKindName, TranscriptEntryKind> = transcriptKinds;

function nameOf<N extends string, V>(table: Record<N, V>, value: V): N | undefined {
  for (const [name, v] of Object.entries(table) as [N, V][]) if (v === value) return name;
  return undefined;
}

/** The API message of a stored transcript entry. */
export function transcriptEntryMessage(record: TranscriptEntryRecord): TranscriptEntry {
  return create(TranscriptEntrySchema, {
    offset: BigInt(record.offset),
    role: roles[record.role] ?? TranscriptRole.UNSPECIFIED,
    kind: kinds[record.kind] ?? TranscriptEntryKind.UNSPECIFIED,
    text: record.text,
    toolName: record.toolName ?? "",
    toolInput: record.toolInput,
    toolCallId: record.toolCallId ?? "",
    detail: record.detail,
    agentTime: record.agentTime === undefined ? undefined : timestampFromMs(record.agentTime),
    truncated: record.truncated ?? false,
    isError: record.isError ?? false,
    permissionRequest: record.permissionRequest ? fromJson(PermissionRequestSchema, record.permissionRequest, { ignoreUnknownFields: true }) : undefined,
  });
}

/**
 * The record of an entry a daemon sent, at `offset`. An unset role or kind
 * is kept as `system` / `raw`, so nothing a daemon sends is lost; empty
 * optional fields are left out.
 */
export function transcriptEntryRecord(message: TranscriptEntry, offset: number): TranscriptEntryRecord {
  const record: TranscriptEntryRecord = {
    offset,
    role: nameOf(roles, message.role) ?? "system",
    kind: nameOf(kinds, message.kind) ?? "raw",
    text: message.text,
  };
  if (message.toolName) record.toolName = message.toolName;
  if (message.toolInput) record.toolInput = message.toolInput;
  if (message.toolCallId) record.toolCallId = message.toolCallId;
  if (message.detail) record.detail = message.detail;
  if (message.agentTime) record.agentTime = timestampMs(message.agentTime);
  if (message.truncated) record.truncated = true;
  if (message.isError) record.isError = true;
  if (message.permissionRequest) record.permissionRequest = toJson(PermissionRequestSchema, message.permissionRequest) as JsonObject;
  return record;
}
