import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { TranscriptEntryKind, TranscriptEntrySchema, TranscriptRole } from "../../../gen/workspaces/v1/transcript_pb.js";
import { transcriptEntryMessage, transcriptEntryRecord } from "../../../server/sessions/transcript-entries.js";
import type { TranscriptEntryRecord } from "../../../server/store/store.js";

describe("transcriptEntryRecord", () => {
  it("keeps every field a daemon sent, at the offset given, leaving empty ones out", () => {
    const message = create(TranscriptEntrySchema, {
      offset: 99n,
      role: TranscriptRole.ASSISTANT,
      kind: TranscriptEntryKind.TOOL_CALL,
      toolName: "Bash",
      toolInput: { command: "ls" },
      toolCallId: "t1",
      detail: { a: [1, "b"] },
      agentTime: timestampFromMs(1234),
      truncated: true,
    });
    expect(transcriptEntryRecord(message, 3)).toEqual({
      offset: 3,
      role: "assistant",
      kind: "tool_call",
      text: "",
      toolName: "Bash",
      toolInput: { command: "ls" },
      toolCallId: "t1",
      detail: { a: [1, "b"] },
      agentTime: 1234,
      truncated: true,
    });
  });

  it("keeps an entry with an unset role or kind as system / raw", () => {
    expect(transcriptEntryRecord(create(TranscriptEntrySchema, { text: "x" }), 0)).toEqual({ offset: 0, role: "system", kind: "raw", text: "x" });
  });
});

describe("transcriptEntryMessage", () => {
  it("is the inverse of transcriptEntryRecord", () => {
    const record: TranscriptEntryRecord = { offset: 5, role: "tool", kind: "tool_result", text: "out", toolCallId: "t1", isError: true, agentTime: 9 };
    const message = transcriptEntryMessage(record);
    expect(message).toMatchObject({ offset: 5n, role: TranscriptRole.TOOL, kind: TranscriptEntryKind.TOOL_RESULT, isError: true });
    expect(transcriptEntryRecord(message, 5)).toEqual(record);
  });
});
