import { describe, expect, it } from "vitest";
import {
  checkAgentSessionId,
  checkId,
  checkMode,
  checkModel,
  checkProvider,
  checkThinking,
  MODES,
  PROVIDERS,
  THINKING_LEVELS,
} from "../../../server/validation/field-rules.js";

// Look-alikes of allowed characters: Cyrillic a, fullwidth a, Kelvin sign,
// non-breaking hyphen, zero-width space, fullwidth digit, Turkish dotless i.
const LOOKALIKES = ["m\u0430in", "\uff41bc", "\u212a8s", "a\u2011b", "ab\u200b", "\uff11", "\u0131d"];

describe("checkId", () => {
  it.each(["a", "A", "0", "ws-1", "ws_1.prod", "a".repeat(64), "9-._x", "MachineOne"])("accepts %j", (value) => {
    expect(checkId(value)).toBeUndefined();
  });

  it.each([
    ["empty", ""],
    ["65 characters", "a".repeat(65)],
    ["leading dash", "-ws"],
    ["leading dot", ".ws"],
    ["leading underscore", "_ws"],
    ["space", "ws 1"],
    ["slash", "ws/1"],
    ["colon", "ws:1"],
    ["trailing newline", "ws\n"],
    ["NUL", "ws\0"],
    ...LOOKALIKES.map((s) => [`look-alike ${JSON.stringify(s)}`, s]),
  ])("rejects %s", (_name, value) => {
    expect(checkId(value)).toBe(
      "must be 1-64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit",
    );
  });
});

describe("checkAgentSessionId", () => {
  it.each([
    "0b4d2f4e-6c1f-4c1e-9a3e-2f1b7d9e8c01",
    "sess:abc.def_1",
    "a",
    "Z".repeat(128),
    "thread_01:turn.2",
  ])("accepts %j", (value) => {
    expect(checkAgentSessionId(value)).toBeUndefined();
  });

  it.each([
    ["empty", ""],
    ["129 characters", "a".repeat(129)],
    ["leading dash (flag injection)", "--dangerously-skip-permissions"],
    ["leading colon", ":abc"],
    ["space", "abc def"],
    ["slash", "abc/def"],
    ["equals", "a=b"],
    ...LOOKALIKES.map((s) => [`look-alike ${JSON.stringify(s)}`, s]),
  ])("rejects %s", (_name, value) => {
    expect(checkAgentSessionId(value)).toMatch(/^must be 1-128 characters .*'\.', '_', ':' and '-'/);
  });
});

describe("checkModel", () => {
  it.each([
    "haiku",
    "gpt-5.1-codex-max",
    "claude-sonnet-4-5[1m]",
    "openrouter/anthropic:claude_3",
    "m".repeat(100),
    "4o",
  ])("accepts %j", (value) => {
    expect(checkModel(value)).toBeUndefined();
  });

  it.each([
    ["empty", ""],
    ["101 characters", "m".repeat(101)],
    ["leading dash", "-m"],
    ["leading dot", ".haiku"],
    ["leading bracket", "[1m]"],
    ["space", "gpt 5"],
    ["semicolon", "haiku;rm"],
    ["quote", "haiku'"],
    ...LOOKALIKES.map((s) => [`look-alike ${JSON.stringify(s)}`, s]),
  ])("rejects %s", (_name, value) => {
    expect(checkModel(value)).toBe(
      "must be 1-100 characters of letters, digits, '.', '_', ':', '/', '-', '[' and ']', starting with a letter or digit",
    );
  });
});

describe("checkMode", () => {
  it.each(MODES)("accepts %j", (value) => {
    expect(checkMode(value)).toBeUndefined();
  });

  it.each(["", "Agent", "chat", "agent "])("rejects %j naming the allowed values", (value) => {
    expect(checkMode(value)).toBe("must be one of: agent");
  });
});

describe("checkProvider", () => {
  it.each(PROVIDERS)("accepts %j", (value) => {
    expect(checkProvider(value)).toBeUndefined();
  });

  it.each(["", "claude", "claude-code", "CODEX", "openai"])("rejects %j naming the allowed values", (value) => {
    expect(checkProvider(value)).toBe("must be one of: claude_code, codex");
  });
});

describe("checkThinking", () => {
  it.each(THINKING_LEVELS)("accepts %j", (value) => {
    expect(checkThinking(value)).toBeUndefined();
  });

  it.each(["", "extreme", "none", "HIGH", "toString", "constructor"])("rejects %j naming the allowed values", (value) => {
    expect(checkThinking(value)).toBe("must be one of: minimal, low, medium, high, xhigh");
  });
});
