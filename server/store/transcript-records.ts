import type { JsonObject } from "@bufbuild/protobuf";

/** Who a transcript entry comes from (the proto enum's suffix, lower case). */
export type TranscriptRoleName = "user" | "assistant" | "system" | "tool";
/** What a transcript entry holds (the proto enum's suffix, lower case). */
export type TranscriptKindName = "text" | "tool_call" | "tool_result" | "result" | "error" | "raw";

/**
 * One entry of a session's transcript (the TranscriptEntry message), as a
 * JSON-compatible value: optional fields are absent, never undefined-valued
 * in storage.
 */
export interface TranscriptEntryRecord {
  /** Position in the current run's transcript, from 0. */
  offset: number;
  role: TranscriptRoleName;
  kind: TranscriptKindName;
  text: string;
  toolName?: string;
  toolInput?: JsonObject;
  toolCallId?: string;
  detail?: JsonObject;
  /** Unix ms. */
  agentTime?: number;
  truncated?: boolean;
  isError?: boolean;
}

export interface TranscriptAppend {
  sessionId: string;
  /** Only a session on this machine takes the entries. */
  machineId: string;
  /** Offset of `entries[0]`; their own `offset` fields are ignored. */
  fromOffset: number;
  entries: readonly TranscriptEntryRecord[];
  now: number;
}

/** Which transcript events `listTranscript` returns: sequences in (afterSequence, beforeSequence). */
export interface TranscriptQuery {
  sessionId: string;
  afterSequence: number;
  /** 0 for no upper bound. */
  beforeSequence: number;
  limit: number;
  /** The newest `limit` of the range instead of the oldest (still returned oldest first). */
  backward: boolean;
}
