import { TranscriptEntryKind, TranscriptRole } from "../gen/workspaces/v1/transcript_pb.js";

/**
 * The names a transcript entry's role and kind go by where they are not the
 * proto enum (the daemon's journal, the store's rows): the enum's suffix in
 * lower case, and the enum value of each. The daemon and the server both map
 * through these.
 */
export const transcriptRoles = {
  user: TranscriptRole.USER,
  assistant: TranscriptRole.ASSISTANT,
  system: TranscriptRole.SYSTEM,
  tool: TranscriptRole.TOOL,
} as const;

/** See `transcriptRoles`. */
export const transcriptKinds = {
  text: TranscriptEntryKind.TEXT,
  tool_call: TranscriptEntryKind.TOOL_CALL,
  tool_result: TranscriptEntryKind.TOOL_RESULT,
  result: TranscriptEntryKind.RESULT,
  error: TranscriptEntryKind.ERROR,
  raw: TranscriptEntryKind.RAW,
  permission_request: TranscriptEntryKind.PERMISSION_REQUEST,
  permission_decision: TranscriptEntryKind.PERMISSION_DECISION,
} as const;
