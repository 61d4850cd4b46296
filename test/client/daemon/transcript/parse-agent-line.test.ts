import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAgentLine } from "../../../../client/daemon/transcript/parse-agent-line.js";

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, "../../../fixtures/transcripts", name), "utf8").split("\n").filter(Boolean);
const summary = (entries: ReturnType<typeof parseAgentLine>) =>
  entries.map((e) => [e.role, e.kind, e.toolName ?? e.text.slice(0, 40), e.isError ?? false]);

describe("parseAgentLine", () => {
  it("turns a recorded Claude Code stream-json session into text, tool calls, tool results and a result", () => {
    const entries = fixture("claude-stream-json.jsonl").flatMap((line) => parseAgentLine("claude_code", line, 1000));
    expect(summary(entries)).toEqual([
      ["system", "text", "session 0fd08313-1251-47be-923d-67566469", false],
      ["assistant", "text", "I'll look at the failing login test firs", false],
      ["assistant", "tool_call", "Bash", false],
      ["tool", "tool_result", "FAIL test/login.test.ts\n  ● login › reje", true],
      ["assistant", "text", "The handler throws before checking the p", false],
      ["assistant", "tool_call", "Edit", false],
      ["tool", "tool_result", "The file src/login.ts has been updated.", false],
      ["assistant", "text", "Fixed: a wrong password now answers 401.", false],
      ["assistant", "result", "Fixed: a wrong password now answers 401.", false],
    ]);
    expect(entries[0]?.detail).toMatchObject({ subtype: "init", model: "claude-haiku-4-5-20251001", session_id: "0fd08313-1251-47be-923d-675664691820" });
    expect(entries[2]).toMatchObject({ toolCallId: "toolu_01Hq8sJ5bX3Lr9mZgk2cVf6T", toolInput: { command: "npm test -- login" } });
    expect(entries[3]?.toolCallId).toBe("toolu_01Hq8sJ5bX3Lr9mZgk2cVf6T");
    expect(entries[4]?.detail).toEqual({ type: "thinking" });
    expect(entries[8]?.detail).toMatchObject({ duration_ms: 18342, total_cost_usd: 0.0142, num_turns: 5 });
    expect(entries.every((e) => e.agentTime === 1000)).toBe(true);
  });

  it("turns a recorded codex exec --json turn into entries, leaving out turn.started", () => {
    const entries = fixture("codex-exec-json.jsonl").flatMap((line) => parseAgentLine("codex", line, 1000));
    expect(summary(entries)).toEqual([
      ["system", "text", "thread 0199a213-81c0-7800-8aa1-bbab2a035", false],
      ["assistant", "text", "**Looking for the failing test**", false],
      ["assistant", "tool_call", "shell", false],
      ["tool", "tool_result", "FAIL test/login.test.ts\n", true],
      ["assistant", "tool_call", "apply_patch", false],
      ["assistant", "text", "Fixed: a wrong password now answers 401.", false],
      ["assistant", "result", "", false],
    ]);
    expect(entries[3]).toMatchObject({ toolCallId: "item_1", detail: { exit_code: 1 } });
    expect(entries[6]?.detail).toEqual({ usage: { input_tokens: 24763, cached_input_tokens: 24448, output_tokens: 122 } });
  });

  it("keeps a line that is not JSON as a raw entry, an unknown event whole, and skips blank lines", () => {
    expect(parseAgentLine("claude_code", "Error: not logged in\r", 5)).toEqual([{ role: "system", kind: "raw", text: "Error: not logged in", agentTime: 5 }]);
    expect(parseAgentLine("claude_code", '{"type":"stream_event","x":1}', 5)).toEqual([
      { role: "system", kind: "raw", text: "", detail: { type: "stream_event", x: 1 }, agentTime: 5 },
    ]);
    expect(parseAgentLine("codex", '{"type":"turn.failed","error":{"message":"quota"}}', 5)).toEqual([
      { role: "assistant", kind: "result", text: "quota", isError: true, agentTime: 5 },
    ]);
    expect(parseAgentLine("codex", "   ", 5)).toEqual([]);
    expect(parseAgentLine("codex", "[1, 2]", 5)[0]?.kind).toBe("raw");
  });

  it("uses the event's own timestamp when it has one", () => {
    const [entry] = parseAgentLine("claude_code", '{"type":"result","subtype":"error_max_turns","is_error":true,"timestamp":"2026-01-02T03:04:05.000Z"}', 5);
    expect(entry).toMatchObject({ kind: "result", isError: true, agentTime: Date.parse("2026-01-02T03:04:05.000Z") });
  });
});
