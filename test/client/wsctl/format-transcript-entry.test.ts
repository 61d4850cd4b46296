import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
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

  it("prints a permission request with its tool, id, expiry and reason, and each kind of decision", () => {
    const request = { requestId: "prq_1", toolName: "Bash", input: { command: "rm -rf build" } };
    expect(
      entry({
        role: TranscriptRole.SYSTEM,
        kind: TranscriptEntryKind.PERMISSION_REQUEST,
        toolName: "Bash",
        toolInput: { command: "rm -rf build" },
        permissionRequest: { ...request, expireTime: timestampFromMs(Date.UTC(2025, 0, 2, 3, 14, 5)), reason: "clean before the build" },
      }),
    ).toBe("? Bash(rm -rf build) asks for approval: request prq_1, expires 2025-01-02T03:14:05Z — clean before the build");
    const decision = (d: Record<string, unknown>) =>
      entry({ role: TranscriptRole.SYSTEM, kind: TranscriptEntryKind.PERMISSION_DECISION, permissionRequest: { ...request, ...d } });
    expect(decision({ decision: "allow", decidedBy: "tok_alice", decideTime: timestampFromMs(Date.UTC(2025, 0, 2, 3, 5, 0)), remember: true })).toBe(
      "✓ allowed Bash(rm -rf build) by tok_alice at 2025-01-02T03:05:00Z, remembered for this session",
    );
    expect(decision({ decision: "deny", decidedBy: "timeout", message: "nobody answered" })).toBe(
      "✗ denied Bash(rm -rf build) by the approval timeout: nobody answered",
    );
    expect(decision({ decision: "allow", decidedBy: "remembered" })).toBe("✓ allowed Bash(rm -rf build) by a remembered rule");
  });
});
