import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { type DaemonEntry, objectOf, pick, stringOf, timeOf } from "./transcript-entry.js";

/**
 * The entries of one event of Claude Code's `--output-format stream-json`
 * output: `system`/`init` (a system entry with the model, tools and session
 * id in `detail`), `assistant` messages (one entry per content block: text,
 * thinking, tool_use as a tool call), `user` messages (tool results; text
 * blocks as user entries), and `result` (the turn's end, with its cost,
 * duration and usage). Any other event is kept whole as a raw entry.
 */
export function parseClaudeEvent(event: JsonObject, now: number): DaemonEntry[] {
  const agentTime = timeOf(event, now);
  const type = stringOf(event.type);
  if (type === "system") {
    const subtype = stringOf(event.subtype) ?? "";
    const detail = pick(event, ["subtype", "session_id", "model", "cwd", "tools", "permissionMode", "claude_code_version", "mcp_servers"]);
    const text = subtype === "init" ? `session ${stringOf(event.session_id) ?? ""} started with model ${stringOf(event.model) ?? "?"}` : subtype;
    return [{ role: "system", kind: "text", text, ...(detail ? { detail } : {}), agentTime }];
  }
  if (type === "assistant" || type === "user") {
    const message = objectOf(event.message);
    const content = message?.content;
    if (typeof content === "string") return [{ role: type, kind: "text", text: content, agentTime }];
    if (!Array.isArray(content)) return [raw(event, agentTime)];
    return content.flatMap((block) => blockEntries(type, objectOf(block), agentTime));
  }
  if (type === "result") {
    const detail = pick(event, ["subtype", "duration_ms", "duration_api_ms", "num_turns", "total_cost_usd", "usage", "session_id"]);
    const isError = event.is_error === true || (stringOf(event.subtype) ?? "success") !== "success";
    const text = stringOf(event.result) ?? (isError ? `the turn ended with ${stringOf(event.subtype) ?? "an error"}` : "");
    return [{ role: "assistant", kind: "result", text, ...(detail ? { detail } : {}), ...(isError ? { isError } : {}), agentTime }];
  }
  return [raw(event, agentTime)];
}

function blockEntries(role: "assistant" | "user", block: JsonObject | undefined, agentTime: number): DaemonEntry[] {
  if (block === undefined) return [];
  switch (block.type) {
    case "text":
      return [{ role, kind: "text", text: stringOf(block.text) ?? "", agentTime }];
    case "thinking":
      return [{ role, kind: "text", text: stringOf(block.thinking) ?? "", detail: { type: "thinking" }, agentTime }];
    case "tool_use": {
      const input = objectOf(block.input);
      return [
        {
          role: "assistant",
          kind: "tool_call",
          text: "",
          toolName: stringOf(block.name) ?? "",
          toolCallId: stringOf(block.id) ?? "",
          ...(input ? { toolInput: input } : {}),
          agentTime,
        },
      ];
    }
    case "tool_result":
      return [
        {
          role: "tool",
          kind: "tool_result",
          text: contentText(block.content),
          toolCallId: stringOf(block.tool_use_id) ?? "",
          ...(block.is_error === true ? { isError: true } : {}),
          agentTime,
        },
      ];
    default:
      return [{ role, kind: "raw", text: "", detail: block, agentTime }];
  }
}

/** A tool result's content as text: a string, or the text of its blocks. */
function contentText(content: JsonValue | undefined): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((block) => {
      const b = objectOf(block);
      if (b?.type === "text") return stringOf(b.text) ?? "";
      return b?.type ? `[${String(b.type)}]` : "";
    })
    .join("\n");
}

function raw(event: JsonObject, agentTime: number): DaemonEntry {
  return { role: "system", kind: "raw", text: "", detail: event, agentTime };
}

/** Whether an event proves a Claude Code agent alive: its `system`/`init`. */
export function isClaudeInit(event: JsonObject): boolean {
  return event.type === "system" && event.subtype === "init";
}
