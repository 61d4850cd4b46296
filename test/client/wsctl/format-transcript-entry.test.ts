import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { TranscriptEntryKind, TranscriptEntrySchema, TranscriptRole } from "../../../gen/workspaces/v1/transcript_pb.js";
import { formatTranscriptEntry } from "../../../client/wsctl/format-transcript-entry.js";

const entry = (init: Parameters<typeof create<typeof TranscriptEntrySchema>>[1]) => formatTranscriptEntry(create(TranscriptEntrySchema, init));

describe("formatTranscriptEntry", () => {
  it("prints the agent's text as text and a message sent to it after >", () => {
    expect(entry({ role: TranscriptRole.ASSISTANT, kind: TranscriptEntryKind.TEXT, text: "Done.\nAll green." })).toBe("Done.\nAll green.");
    expect(entry({ role: TranscriptRole.USER, kind: TranscriptEntryKind.TEXT, text: "fix it\nplease" })).toBe("> fix it\n> please");
    expect(entry({ role: TranscriptRole.SYSTEM, kind: TranscriptEntryKind.TEXT, text: "session x started" })).toBe("· session x started");
  });

  it("prints a tool call and a tool result on one line each", () => {
    expect(entry({ kind: TranscriptEntryKind.TOOL_CALL, toolName: "Bash", toolInput: { command: "npm test\n  -- login", description: "x" } })).toBe(
      "→ Bash(npm test -- login)",
    );
    expect(entry({ kind: TranscriptEntryKind.TOOL_CALL, toolName: "Grep", toolInput: { other: 1 } })).toBe('→ Grep({"other":1})');
    expect(entry({ kind: TranscriptEntryKind.TOOL_RESULT, text: "a\nb\nc\n", isError: true })).toBe("  ← error 3 lines: a b c");
    const long = entry({ kind: TranscriptEntryKind.TOOL_RESULT, text: "x".repeat(1000) });
    expect(long.split("\n")).toHaveLength(1);
    expect(long.length).toBeLessThan(200);
  });

  it("prints a turn's end with its duration and cost, errors and cut entries marked", () => {
    expect(entry({ kind: TranscriptEntryKind.RESULT, text: "ok", detail: { duration_ms: 1500, total_cost_usd: 0.01 } })).toBe("— turn done (1.5 s, $0.0100)");
    expect(entry({ kind: TranscriptEntryKind.RESULT, text: "quota", isError: true })).toBe("— turn failed: quota");
    expect(entry({ kind: TranscriptEntryKind.ERROR, text: "limit reached", truncated: true })).toBe("! limit reached [truncated]");
    expect(entry({ kind: TranscriptEntryKind.RAW, text: "plain output" })).toBe("plain output");
    expect(entry({ kind: TranscriptEntryKind.RAW, detail: { type: "stream_event" } })).toBe('· {"type":"stream_event"}');
  });
});
