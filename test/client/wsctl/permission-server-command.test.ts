import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listRequests, writeJsonFile } from "../../../client/daemon/permission/permission-files.js";
import type { CliIo } from "../../../client/wsctl/cli-output.js";
import { main } from "../../../client/wsctl/main.js";
import { runPermissionServerCommand } from "../../../client/wsctl/permission-server-command.js";
import { runCli } from "../fake-workspace-server.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wsctl-permission-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the command on in-memory streams; `lines` are what the agent sends. */
function serve(args: string[], io: Partial<CliIo> = {}) {
  const input = new PassThrough();
  const output = new PassThrough();
  let written = "";
  output.on("data", (chunk: Buffer) => {
    written += chunk.toString("utf8");
  });
  const run = runCli((a, cliIo) => runPermissionServerCommand(a, cliIo, { input, output }), args, io);
  return { input, run, answers: () => written.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { id: number; result?: Record<string, unknown> }) };
}

describe("runPermissionServerCommand", () => {
  it("prints its usage with --help and refuses to run without --dir", async () => {
    const help = await runCli((a, io) => runPermissionServerCommand(a, io, { input: new PassThrough(), output: new PassThrough() }), ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("wsctl daemon permission-server --dir DIR");
    const missing = await runCli((a, io) => runPermissionServerCommand(a, io, { input: new PassThrough(), output: new PassThrough() }), []);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--dir is required");
  });

  it("is reached as `wsctl daemon permission-server`", async () => {
    const run = await runCli(main, ["daemon", "permission-server", "--help"]);
    expect(run.stdout).toContain("MCP server on stdin/stdout");
  });

  it("serves the agent on its streams, hands calls to the directory, and exits 0 when its input ends", async () => {
    writeJsonFile(path.join(dir, "policy.json"), { mode: "default", approval_timeout_ms: 60_000, default_decision: "deny" });
    const { input, run, answers } = serve(["--dir", dir]);
    input.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26" } })}\n`);
    input.write(`${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "approve", arguments: { tool_name: "Bash", input: { command: "ls" } } } })}\n`);
    await expect.poll(() => listRequests(dir)).toHaveLength(1);
    expect(answers()).toMatchObject([{ id: 1, result: { protocolVersion: "2025-03-26", serverInfo: { name: "wsctl" } } }]);
    input.end();
    expect((await run).code).toBe(0);
  });

  it("stops when the process is asked to (SIGTERM to the agent's process group)", async () => {
    const abort = new AbortController();
    const { run } = serve(["--dir", dir], { signal: abort.signal });
    abort.abort();
    expect((await run).code).toBe(0);
  });
});
