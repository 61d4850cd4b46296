import { parseArgs } from "node:util";
import { defaultDaemonStateDir } from "../daemon/create-agent-registry.js";
import { type CliIo, formatTable, printJson } from "./cli-output.js";
import { isProcessAlive, readDaemonStatus } from "./daemon-status-file.js";

const usage = `Usage: wsctl daemon status [--state-dir DIR] [--json]

Reports the state of the daemon that uses DIR (default: the daemon's default state directory):
whether it runs, whether its command stream to the server is open, since when, its reconnects
and the commands it carried out. Exits 0 when connected, 1 when running but not connected,
3 when no daemon runs.
`;

/** `wsctl daemon status`: reads daemon-status.json from the state directory. */
export async function runDaemonStatus(args: string[], io: CliIo): Promise<number> {
  let values: { "state-dir"?: string; json?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args,
      options: { "state-dir": { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }).values;
  } catch (error) {
    io.stderr(`wsctl daemon status: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  const stateDir = values["state-dir"] || defaultDaemonStateDir(io.env);
  const status = await readDaemonStatus(stateDir);
  const running = status !== undefined && status.state !== "stopped" && isProcessAlive(status.pid);
  const state = status === undefined ? "not running" : running ? status.state : "not running";
  const code = !running ? 3 : status.state === "connected" ? 0 : 1;
  if (values.json) {
    printJson(io, { ...(status ?? {}), state, running, state_dir: stateDir });
    return code;
  }
  if (status === undefined) {
    io.stdout(`no daemon has run with state directory ${stateDir}\n`);
    return code;
  }
  const commands = Object.entries(status.commands).map(([k, n]) => `${k} ${n}`).join(", ") || "none";
  const rows = [
    ["state", running ? `${state} since ${status.since}` : `not running (last: ${status.state} at ${status.since})`],
    ["server", status.server],
    ["pid", String(status.pid)],
    ["version", status.version],
    ["started", status.started_at],
    ["reconnects", String(status.reconnects)],
    ["commands", commands],
    ["workspaces", status.workspaces.join(", ")],
    ...(status.last_request_id ? [["last request", status.last_request_id]] : []),
    ...(status.last_error && running ? [["last error", status.last_error]] : []),
  ];
  io.stdout(`${formatTable(rows).join("\n")}\n`);
  return code;
}
