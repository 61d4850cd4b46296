import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { JsonObject } from "@bufbuild/protobuf";
import type { ToolUse } from "./ask-daemon.js";

/** The one tool of the daemon's MCP server: Claude Code calls it as `mcp__wsctl__approve`. */
export const permissionToolName = "approve";

/** MCP protocol versions this server speaks, newest first. */
export const mcpProtocolVersions = ["2025-06-18", "2025-03-26", "2024-11-05"];

/** Options of servePermissionTool. */
export interface ServePermissionToolOptions {
  /** The agent's requests (the server's stdin). */
  input: Readable;
  /** The server's answers (its stdout). */
  output: Writable;
  /**
   * Decides one call of the tool; resolves with the text of the tool result
   * (Claude Code's `{"behavior": ...}` JSON), or undefined when `signal`
   * ended the wait (the call was cancelled: nothing is answered).
   */
  decide: (use: ToolUse, signal: AbortSignal) => Promise<{ text: string; delivered?: () => void } | undefined>;
  /** `serverInfo` of the initialize answer. */
  version?: string;
  /** Default: nothing is logged (stdout is the protocol's). */
  log?: (line: string) => void;
  /** Stops serving as if `input` had ended. */
  signal?: AbortSignal;
  /** How often a waiting call that carries a `progressToken` gets `notifications/progress`; default 15 s. */
  progressMs?: number;
}

type JsonRpcId = string | number | null;
interface JsonRpcMessage {
  jsonrpc?: unknown;
  id?: JsonRpcId;
  method?: unknown;
  params?: unknown;
}

const inputSchema = {
  type: "object",
  properties: {
    tool_name: { type: "string", description: "The tool the agent wants to use, e.g. Bash." },
    input: { type: "object", description: "The arguments of that tool call." },
    tool_use_id: { type: "string", description: "The agent's id of the tool call." },
  },
  required: ["tool_name", "input"],
};

/**
 * The daemon's permission server, speaking MCP (JSON-RPC 2.0, one message a
 * line) over `input`/`output` as Claude Code's stdio MCP client expects:
 * `initialize` (answering the client's protocol version when it is one of
 * mcpProtocolVersions, else the newest), `ping`, `tools/list` (the one tool
 * `approve`), `tools/call` (decided by `decide`, answered with the decision as
 * the text content of the result; many calls may wait at once), and the
 * notifications `notifications/initialized` and `notifications/cancelled`
 * (which ends that call's wait); a waiting call with `_meta.progressToken`
 * gets `notifications/progress` now and then. Other methods are `-32601`, malformed
 * messages `-32700` / `-32600`, bad tool arguments `-32602`. Resolves once
 * `input` ends (the agent went away) or `signal` aborts; waits still open are
 * then cancelled.
 */
export function servePermissionTool(options: ServePermissionToolOptions): Promise<void> {
  const { output } = options;
  const log = options.log ?? (() => undefined);
  const waiting = new Map<string, AbortController>();
  const send = (message: object, done?: () => void) => {
    output.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`, (error) => {
      if (error === null || error === undefined) done?.();
      else log(`permission server: could not answer the agent (${error.message})`);
    });
  };
  const fail = (id: JsonRpcId, code: number, message: string) => send({ id, error: { code, message } });

  async function call(id: JsonRpcId, params: JsonObject): Promise<void> {
    if (params.name !== permissionToolName) return fail(id, -32602, `unknown tool "${String(params.name)}": this server has only "${permissionToolName}"`);
    const args = (typeof params.arguments === "object" && params.arguments !== null ? params.arguments : {}) as JsonObject;
    if (typeof args.tool_name !== "string" || args.tool_name === "") return fail(id, -32602, "arguments.tool_name must be a tool's name");
    const input = typeof args.input === "object" && args.input !== null && !Array.isArray(args.input) ? (args.input as JsonObject) : {};
    const reason = typeof args.reason === "string" ? args.reason : typeof input.description === "string" ? input.description : "";
    const use: ToolUse = {
      tool_name: args.tool_name,
      input,
      ...(typeof args.tool_use_id === "string" ? { tool_use_id: args.tool_use_id } : {}),
      ...(reason ? { reason } : {}),
    };
    const abort = new AbortController();
    const key = JSON.stringify(id);
    waiting.set(key, abort);
    // A client that asked for progress hears that the call still waits (some reset their timeout on it).
    const token = (params._meta as JsonObject | undefined)?.progressToken;
    let progress = 0;
    const ticker =
      typeof token === "string" || typeof token === "number"
        ? setInterval(() => send({ method: "notifications/progress", params: { progressToken: token, progress: ++progress, message: "waiting for a decision" } }), options.progressMs ?? 15_000)
        : undefined;
    try {
      const answer = await options.decide(use, abort.signal);
      if (answer === undefined) return;
      send({ id, result: { content: [{ type: "text", text: answer.text }] } }, answer.delivered);
    } catch (error) {
      send({ id, result: { content: [{ type: "text", text: JSON.stringify({ behavior: "deny", message: `wsctl permission server failed: ${(error as Error).message}` }) }], isError: true } });
    } finally {
      clearInterval(ticker);
      waiting.delete(key);
    }
  }

  function handle(message: JsonRpcMessage): void {
    if (typeof message !== "object" || message === null || Array.isArray(message) || message.jsonrpc !== "2.0" || typeof message.method !== "string") {
      // An answer to a request of ours (we send none) or garbage: answer only what has an id.
      if (typeof message === "object" && message !== null && "id" in message && !("result" in message) && !("error" in message)) {
        fail(message.id ?? null, -32600, "not a JSON-RPC 2.0 request");
      }
      return;
    }
    const params = (typeof message.params === "object" && message.params !== null ? message.params : {}) as JsonObject;
    const isRequest = message.id !== undefined;
    switch (message.method) {
      case "initialize": {
        const asked = typeof params.protocolVersion === "string" ? params.protocolVersion : "";
        const protocolVersion = mcpProtocolVersions.includes(asked) ? asked : mcpProtocolVersions[0];
        send({
          id: message.id ?? null,
          result: { protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "wsctl", version: options.version ?? "0.0.0" } },
        });
        return;
      }
      case "ping":
        send({ id: message.id ?? null, result: {} });
        return;
      case "tools/list":
        send({
          id: message.id ?? null,
          result: {
            tools: [
              {
                name: permissionToolName,
                description: "Asks the user (through wsctl) whether the agent may use a tool; answers {behavior: allow, updatedInput} or {behavior: deny, message}.",
                inputSchema,
              },
            ],
          },
        });
        return;
      case "tools/call":
        if (isRequest) void call(message.id ?? null, params);
        return;
      case "notifications/cancelled":
        waiting.get(JSON.stringify(params.requestId ?? null))?.abort();
        return;
      default:
        if (isRequest && !message.method.startsWith("notifications/")) fail(message.id ?? null, -32601, `method "${message.method}" is not supported`);
    }
  }

  return new Promise((resolve) => {
    const lines = createInterface({ input: options.input, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on("line", (line) => {
      if (line.trim() === "") return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return fail(null, -32700, "parse error: each line must be one JSON-RPC message");
      }
      for (const message of Array.isArray(parsed) ? parsed : [parsed]) handle(message as JsonRpcMessage);
    });
    lines.on("close", () => {
      for (const abort of waiting.values()) abort.abort();
      resolve();
    });
    if (options.signal?.aborted) lines.close();
    else options.signal?.addEventListener("abort", () => lines.close(), { once: true });
  });
}
