import type { Readable, Writable } from "node:stream";
import { parseArgs } from "node:util";
import { runPermissionServer } from "../daemon/permission/run-permission-server.js";
import { packageInfo } from "../package-info.js";
import type { CliIo } from "./cli-output.js";

const usage = `Usage: wsctl daemon permission-server --dir DIR

The daemon's permission server for one agent: an MCP server on stdin/stdout (JSON-RPC 2.0,
one message a line) with one tool, "approve", which Claude Code calls before a tool use
that needs a permission (--permission-prompt-tool mcp__wsctl__approve). The agent starts it
from the --mcp-config file the daemon writes into the session's permission directory DIR;
people do not run it. Each call is handed to the daemon through files in DIR, so a daemon
restart loses nothing, and answered {"behavior":"allow","updatedInput":...} or
{"behavior":"deny","message":...}. It never waits forever: with no decision by the approval
timeout + 60 s it answers the session's default decision (deny unless set otherwise).
Logs go to stderr.

Options:
  --dir DIR    the session's permission directory (holds policy.json)
`;

/** `wsctl daemon permission-server`: serves the agent on the given streams (default stdin/stdout) until its input ends. */
export async function runPermissionServerCommand(
  args: string[],
  io: CliIo,
  streams: { input: Readable; output: Writable } = { input: process.stdin, output: process.stdout },
): Promise<number> {
  let values: { dir?: string; help?: boolean };
  try {
    values = parseArgs({ args, options: { dir: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true }).values;
  } catch (error) {
    io.stderr(`wsctl daemon permission-server: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  if (!values.dir) {
    io.stderr(`wsctl daemon permission-server: --dir is required\n${usage}`);
    return 2;
  }
  // SIGTERM (the agent's process group is stopped) ends it like the end of its input.
  await runPermissionServer({
    ...(io.signal !== undefined ? { signal: io.signal } : {}),
    dir: values.dir,
    input: streams.input,
    output: streams.output,
    version: packageInfo().version,
    log: (line) => io.stderr(`${line}\n`),
  });
  // Stopped by a signal, stdin is still open: let go of it so the process ends.
  streams.input.destroy();
  return 0;
}
