import { describe, expect, it } from "vitest";
import { boundEntry, cutUtf8, entrySize } from "../../../../client/daemon/transcript/bound-entry.js";

describe("boundEntry", () => {
  it("leaves an entry within the cap alone", () => {
    const entry = { role: "assistant" as const, kind: "text" as const, text: "hi", detail: { a: 1 } };
    expect(boundEntry(entry, 1000)).toBe(entry);
  });

  it("drops the detail, cuts the tool input and the text, and marks the entry truncated", () => {
    const entry = {
      role: "tool" as const,
      kind: "tool_result" as const,
      text: "é".repeat(10_000),
      toolInput: { command: "x".repeat(5_000) },
      detail: { big: "y".repeat(5_000) },
    };
    const bounded = boundEntry(entry, 2048);
    expect(entrySize(bounded)).toBeLessThanOrEqual(2048);
    expect(bounded.truncated).toBe(true);
    expect(bounded.detail).toBeUndefined();
    expect(Object.keys(bounded.toolInput ?? {})).toEqual(["_truncated"]);
    expect(bounded.text.length).toBeGreaterThan(100);
    expect(bounded.text).toMatch(/^é+$/);
  });

  it("cuts a permission request's input and updated input too, keeping the request", () => {
    const input = { content: "z".repeat(20_000) };
    const entry = {
      role: "system" as const,
      kind: "permission_request" as const,
      text: "permission requested: Write",
      toolName: "Write",
      toolInput: input,
      permission: { requestId: "prq_1", sessionId: "s1", workspaceId: "ws1", toolName: "Write", input, reason: "", toolUseId: "t1", createTime: 1, expireTime: 2, updatedInput: input },
    };
    const bounded = boundEntry(entry, 4096);
    expect(entrySize(bounded)).toBeLessThanOrEqual(4096);
    expect(bounded.truncated).toBe(true);
    expect(bounded.permission).toMatchObject({ requestId: "prq_1", toolName: "Write", input: { _truncated: expect.stringMatching(/^\{"content":"z+$/) } });
    expect(Object.keys(bounded.permission?.updatedInput ?? {})).toEqual(["_truncated"]);
    expect(bounded.text).toBe("permission requested: Write");
  });

  it("cuts text full of JSON escapes until it fits", () => {
    const bounded = boundEntry({ role: "system", kind: "raw", text: '"\n'.repeat(4000) }, 1000);
    expect(entrySize(bounded)).toBeLessThanOrEqual(1000);
  });
});

describe("cutUtf8", () => {
  it("never cuts inside a character", () => {
    expect(cutUtf8("aé€😀", 1)).toBe("a");
    expect(cutUtf8("aé€😀", 2)).toBe("a");
    expect(cutUtf8("aé€😀", 3)).toBe("aé");
    expect(cutUtf8("aé€😀", 9)).toBe("aé€");
    expect(cutUtf8("aé€😀", 10)).toBe("aé€😀");
  });
});
