import type { JsonObject } from "@bufbuild/protobuf";
import type { AgentProvider } from "../agent-argv.js";
import { parseClaudeEvent } from "./parse-claude-event.js";
import { parseCodexEvent } from "./parse-codex-event.js";
import type { DaemonEntry } from "./transcript-entry.js";

/**
 * The entries of one line of an agent's stdout: a JSON object is parsed as
 * the provider's event; anything else (a line the CLI printed as text, a
 * broken line) is kept as a raw entry with the line as its text. Blank lines
 * give nothing.
 */
export function parseAgentLine(provider: AgentProvider, line: string, now: number): DaemonEntry[] {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  if (text.trim() === "") return [];
  const event = jsonObjectOf(text);
  if (event === undefined) return [{ role: "system", kind: "raw", text, agentTime: now }];
  return provider === "codex" ? parseCodexEvent(event, now) : parseClaudeEvent(event, now);
}

/** The JSON object on a line, if it holds one. */
export function jsonObjectOf(line: string): JsonObject | undefined {
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}
