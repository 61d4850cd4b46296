import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { ToolUse } from "../../../../client/daemon/permission/ask-daemon.js";
import { servePermissionTool } from "../../../../client/daemon/permission/serve-permission-tool.js";

type Decide = Parameters<typeof servePermissionTool>[0]["decide"];

/** The server on in-memory streams, with a client that sends lines and reads answers. */
function connect(decide: Decide, more: { progressMs?: number } = {}) {
  const input = new PassThrough();
  const output = new PassThrough();
  const answers: Record<string, unknown>[] = [];
  let buffered = "";
  output.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    let end = buffered.indexOf("\n");
    while (end >= 0) {
      answers.push(JSON.parse(buffered.slice(0, end)) as Record<string, unknown>);
      buffered = buffered.slice(end + 1);
      end = buffered.indexOf("\n");
    }
  });
  const done = servePermissionTool({ input, output, decide, version: "1.2.3", ...more });
  const send = (message: unknown) => input.write(`${typeof message === "string" ? message : JSON.stringify(message)}\n`);
  const answerTo = (id: unknown) =>
    expect.poll(() => answers.find((a) => a.id === id), { timeout: 2_000, interval: 5 }).toBeDefined().then(() => answers.find((a) => a.id === id)!);
  return { input, answers, done, send, answerTo };
}

/** A decide that never decides: it ends only when its call's signal aborts (the signal is kept). */
function waitForever() {
  const waits: { signal?: AbortSignal; decide: Decide } = {
    decide: (_use, signal) =>
      new Promise((resolve) => {
        waits.signal = signal;
        signal.addEventListener("abort", () => resolve(undefined));
      }),
  };
  return waits;
}

const allowAll: Decide = async (use) => ({ text: JSON.stringify({ behavior: "allow", updatedInput: use.input }) });
const initialize = (id: number, protocolVersion: string) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: { protocolVersion, capabilities: {}, clientInfo: { name: "claude-code", version: "2.0.0" } },
});

describe("servePermissionTool", () => {
  it("answers initialize with the client's protocol version, its tools capability and its name", async () => {
    const { send, answerTo } = connect(allowAll);
    send(initialize(1, "2025-06-18"));
    expect(await answerTo(1)).toEqual({
      jsonrpc: "2.0",
      id: 1,
      result: { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "wsctl", version: "1.2.3" } },
    });
    send(initialize(2, "2099-01-01"));
    expect(((await answerTo(2)).result as { protocolVersion: string }).protocolVersion).toBe("2025-06-18");
    send(initialize(3, "2024-11-05"));
    expect(((await answerTo(3)).result as { protocolVersion: string }).protocolVersion).toBe("2024-11-05");
  });

  it("lists the one tool approve with its input schema, and answers ping", async () => {
    const { send, answerTo, answers } = connect(allowAll);
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: "list", method: "tools/list", params: {} });
    const list = (await answerTo("list")).result as { tools: { name: string; inputSchema: { required: string[] } }[] };
    expect(list.tools.map((t) => t.name)).toEqual(["approve"]);
    expect(list.tools[0]!.inputSchema.required).toEqual(["tool_name", "input"]);
    send({ jsonrpc: "2.0", id: 7, method: "ping" });
    expect((await answerTo(7)).result).toEqual({});
    // The notification got no answer.
    expect(answers.filter((a) => a.id === undefined)).toEqual([]);
  });

  it("answers a tool call with the decision as its text content and tells when the agent has it", async () => {
    const uses: ToolUse[] = [];
    let delivered = 0;
    const { send, answerTo } = connect(async (use) => {
      uses.push(use);
      return { text: JSON.stringify({ behavior: "deny", message: "not on main" }), delivered: () => delivered++ };
    });
    send({
      jsonrpc: "2.0",
      id: 5,
      method: "tools/call",
      params: { name: "approve", arguments: { tool_name: "Bash", input: { command: "git push", description: "Push" }, tool_use_id: "toolu_1" } },
    });
    expect(await answerTo(5)).toEqual({
      jsonrpc: "2.0",
      id: 5,
      result: { content: [{ type: "text", text: '{"behavior":"deny","message":"not on main"}' }] },
    });
    expect(uses).toEqual([{ tool_name: "Bash", input: { command: "git push", description: "Push" }, tool_use_id: "toolu_1", reason: "Push" }]);
    await expect.poll(() => delivered).toBe(1);
  });

  it("serves several waiting calls at once and answers each when its decision comes", async () => {
    const release = new Map<string, () => void>();
    const { send, answerTo, answers } = connect(
      (use) =>
        new Promise((resolve) => {
          release.set(use.tool_name, () => resolve({ text: `{"behavior":"allow","updatedInput":{"tool":"${use.tool_name}"}}` }));
        }),
    );
    const call = (id: number, tool: string) => send({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "approve", arguments: { tool_name: tool, input: {} } } });
    call(1, "Bash");
    call(2, "Edit");
    await expect.poll(() => release.size).toBe(2);
    release.get("Edit")!();
    expect(((await answerTo(2)).result as { content: { text: string }[] }).content[0]!.text).toContain("Edit");
    expect(answers.some((a) => a.id === 1)).toBe(false);
    release.get("Bash")!();
    expect(((await answerTo(1)).result as { content: { text: string }[] }).content[0]!.text).toContain("Bash");
  });

  it("ends the wait of a cancelled call without answering it", async () => {
    const waits = waitForever();
    const { send, answers } = connect(waits.decide);
    send({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "approve", arguments: { tool_name: "Bash", input: {} } } });
    await expect.poll(() => waits.signal).toBeDefined();
    const aborted = waits.signal;
    send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 9, reason: "user interrupted" } });
    await expect.poll(() => aborted?.aborted).toBe(true);
    send({ jsonrpc: "2.0", id: 10, method: "ping" });
    await expect.poll(() => answers.some((a) => a.id === 10)).toBe(true);
    expect(answers.some((a) => a.id === 9)).toBe(false);
  });

  it("tells a client that asked for progress that its call still waits", async () => {
    const waits = waitForever();
    const { send, answers, input } = connect(waits.decide, { progressMs: 10 });
    send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "approve", arguments: { tool_name: "Bash", input: {} }, _meta: { progressToken: "p1" } } });
    await expect.poll(() => answers.filter((a) => a.method === "notifications/progress").length).toBeGreaterThanOrEqual(2);
    expect(answers[0]).toEqual({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "p1", progress: 1, message: "waiting for a decision" } });
    input.end();
  });

  it("refuses unknown tools, bad arguments, unknown methods and lines that are not JSON", async () => {
    const { send, answerTo, answers } = connect(allowAll);
    send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "rm", arguments: { tool_name: "Bash", input: {} } } });
    expect((await answerTo(1)).error).toMatchObject({ code: -32602 });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "approve", arguments: { input: {} } } });
    expect((await answerTo(2)).error).toMatchObject({ code: -32602, message: expect.stringContaining("tool_name") });
    send({ jsonrpc: "2.0", id: 3, method: "resources/list" });
    expect((await answerTo(3)).error).toMatchObject({ code: -32601 });
    send("{not json");
    await expect.poll(() => answers.find((a) => (a.error as { code?: number } | undefined)?.code === -32700)).toMatchObject({ id: null });
    send({ id: 4, method: "ping" });
    expect((await answerTo(4)).error).toMatchObject({ code: -32600 });
    send({ jsonrpc: "2.0", method: "notifications/whatever" });
    send({ jsonrpc: "2.0", id: 5, method: "ping" });
    await answerTo(5);
    expect(answers).toHaveLength(6);
  });

  it("answers deny when deciding fails, so the agent never waits", async () => {
    const { send, answerTo } = connect(async () => {
      throw new Error("disk full");
    });
    send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "approve", arguments: { tool_name: "Bash", input: {} } } });
    const result = (await answerTo(1)).result as { content: { text: string }[]; isError: boolean };
    expect(result.isError).toBe(true);
    expect(JSON.parse(result.content[0]!.text)).toEqual({ behavior: "deny", message: "wsctl permission server failed: disk full" });
  });

  it("resolves once its input ends, cancelling the waits still open", async () => {
    const waits = waitForever();
    const { send, input, done } = connect(waits.decide);
    send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "approve", arguments: { tool_name: "Bash", input: {} } } });
    await expect.poll(() => waits.signal).toBeDefined();
    input.end();
    await done;
    expect(waits.signal?.aborted).toBe(true);
  });
});
