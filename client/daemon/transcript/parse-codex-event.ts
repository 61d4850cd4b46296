import type { JsonObject } from "@bufbuild/protobuf";
import { type DaemonEntry, objectOf, pick, stringOf, timeOf } from "./transcript-entry.js";

/**
 * The entries of one event of `codex exec --json`: `thread.started` (a system
 * entry with the thread id), items as they start and complete (commands as a
 * tool call and its result, agent messages and reasoning as text, file
 * changes, MCP tool calls and web searches as tool calls, errors), and
 * `turn.completed` / `turn.failed` as the turn's result. `turn.started` and
 * `item.updated` carry nothing new and give no entry; any other event is kept
 * whole as a raw entry.
 */
export function parseCodexEvent(event: JsonObject, now: number): DaemonEntry[] {
  const agentTime = timeOf(event, now);
  switch (stringOf(event.type)) {
    case "thread.started":
      return [{ role: "system", kind: "text", text: `thread ${stringOf(event.thread_id) ?? ""} started`, detail: pick(event, ["thread_id"]) ?? {}, agentTime }];
    case "turn.started":
    case "item.updated":
      return [];
    case "turn.completed": {
      const detail = pick(event, ["usage"]);
      return [{ role: "assistant", kind: "result", text: "", ...(detail ? { detail } : {}), agentTime }];
    }
    case "turn.failed": {
      const message = stringOf(objectOf(event.error)?.message) ?? "the turn failed";
      return [{ role: "assistant", kind: "result", text: message, isError: true, agentTime }];
    }
    case "error":
      return [{ role: "system", kind: "error", text: stringOf(event.message) ?? "error", agentTime }];
    case "item.started":
    case "item.completed": {
      const item = objectOf(event.item);
      if (item === undefined) break;
      return itemEntries(item, event.type === "item.completed", agentTime);
    }
  }
  return [{ role: "system", kind: "raw", text: "", detail: event, agentTime }];
}

function itemEntries(item: JsonObject, completed: boolean, agentTime: number): DaemonEntry[] {
  const id = stringOf(item.id) ?? "";
  switch (item.type) {
    case "agent_message":
      return completed ? [{ role: "assistant", kind: "text", text: stringOf(item.text) ?? "", agentTime }] : [];
    case "reasoning":
      return completed ? [{ role: "assistant", kind: "text", text: stringOf(item.text) ?? "", detail: { type: "reasoning" }, agentTime }] : [];
    case "command_execution": {
      if (!completed) {
        return [{ role: "assistant", kind: "tool_call", text: "", toolName: "shell", toolCallId: id, toolInput: { command: item.command ?? "" }, agentTime }];
      }
      const exitCode = typeof item.exit_code === "number" ? item.exit_code : undefined;
      return [
        {
          role: "tool",
          kind: "tool_result",
          text: stringOf(item.aggregated_output) ?? "",
          toolCallId: id,
          ...(exitCode !== undefined ? { detail: { exit_code: exitCode } } : {}),
          ...(exitCode !== undefined && exitCode !== 0 ? { isError: true } : {}),
          agentTime,
        },
      ];
    }
    case "mcp_tool_call": {
      const name = [stringOf(item.server), stringOf(item.tool)].filter(Boolean).join(".");
      if (!completed) {
        const input = objectOf(item.arguments);
        return [{ role: "assistant", kind: "tool_call", text: "", toolName: name, toolCallId: id, ...(input ? { toolInput: input } : {}), agentTime }];
      }
      const failed = stringOf(item.status) === "failed";
      const result = item.result ?? item.error;
      const text = typeof result === "string" ? result : result === undefined ? "" : JSON.stringify(result);
      return [{ role: "tool", kind: "tool_result", text, toolCallId: id, ...(failed ? { isError: true } : {}), agentTime }];
    }
    case "file_change":
      return completed ? [{ role: "assistant", kind: "tool_call", text: "", toolName: "apply_patch", toolCallId: id, toolInput: { changes: item.changes ?? [] }, agentTime }] : [];
    case "web_search":
      return completed ? [{ role: "assistant", kind: "tool_call", text: "", toolName: "web_search", toolCallId: id, toolInput: { query: item.query ?? "" }, agentTime }] : [];
    case "todo_list": {
      if (!completed) return [];
      const items = Array.isArray(item.items) ? item.items : [];
      const text = items.map((t) => `${objectOf(t)?.completed === true ? "[x]" : "[ ]"} ${stringOf(objectOf(t)?.text) ?? ""}`).join("\n");
      return [{ role: "assistant", kind: "text", text, detail: { type: "todo_list" }, agentTime }];
    }
    case "error":
      return [{ role: "system", kind: "error", text: stringOf(item.message) ?? "error", agentTime }];
  }
  return completed ? [{ role: "system", kind: "raw", text: "", detail: item, agentTime }] : [];
}
