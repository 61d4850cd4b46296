import type { JsonObject } from "@bufbuild/protobuf";

/** Longest line printed for a tool call or a tool result. */
export const lineLimit = 160;

/** Text on one line (runs of white space become one space), cut with `…` past `limit` characters. */
export function oneLine(text: string, limit = lineLimit): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}

/** The most telling argument of a tool call: a command, a path, a pattern, a query; else its JSON. */
export function toolArgument(input: JsonObject | undefined): string {
  if (input === undefined) return "";
  for (const key of ["command", "file_path", "path", "pattern", "query", "url", "description"]) {
    const value = input[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return JSON.stringify(input);
}

/** `Bash(npm test -- login)`: a tool and its most telling argument on one line of at most `limit` characters. */
export function formatToolCall(toolName: string, input: JsonObject | undefined, limit = lineLimit): string {
  return `${toolName}(${oneLine(toolArgument(input), Math.max(limit - toolName.length - 2, 8))})`;
}
