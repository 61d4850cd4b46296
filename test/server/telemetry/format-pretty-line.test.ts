import { describe, expect, it } from "vitest";
import { formatPrettyLine } from "../../../server/telemetry/format-pretty-line.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: the colour codes are what is stripped
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

describe("formatPrettyLine", () => {
  it("turns a JSON record into time, level, message and fields", () => {
    const line = JSON.stringify({ level: "info", time: "2026-12-01T10:00:01.234Z", msg: "rpc", code: "ok", method: "a.B/C", note: "two words" });
    expect(plain(formatPrettyLine(line))).toBe('10:00:01.234 INFO  rpc code=ok method=a.B/C note="two words"\n');
  });

  it("puts an error's stack on the lines after it", () => {
    const line = JSON.stringify({ level: "error", time: "2026-12-01T10:00:01.234Z", msg: "failed", err: { stack: "Error: x\n    at y" } });
    expect(plain(formatPrettyLine(line))).toBe("10:00:01.234 ERROR failed\n    Error: x\n        at y\n");
  });

  it("leaves a line that is not JSON as it is", () => {
    expect(formatPrettyLine("plain text\n")).toBe("plain text\n");
  });
});
