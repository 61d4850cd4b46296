import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeJsonFile } from "./permission-files.js";
import { daemonFallbackMs, type PermissionMode, permissionServerMarginMs, relaysRequests, type SessionPolicy } from "./permission-policy.js";

/** How the agent starts the daemon's permission server: an executable and the arguments before `daemon permission-server`. */
export interface PermissionServerCommand {
  command: string;
  args: string[];
}

/**
 * This wsctl, run by the same Node: from the sources (`client/wsctl/wsctl.js`,
 * through tsx), or from the bundle (`dist/wsctl.js` beside its chunks), else
 * the script this process was started with.
 */
export function defaultPermissionServerCommand(): PermissionServerCommand {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  const candidates = here.endsWith(".ts")
    ? [path.resolve(dir, "../../wsctl/wsctl.js")]
    : [path.join(dir, "wsctl.js"), path.resolve(dir, "../wsctl.js")];
  const entry = candidates.find((file) => existsSync(file)) ?? process.argv[1] ?? "wsctl";
  return { command: process.execPath, args: [entry] };
}

/**
 * Makes a fresh permission directory for a session's agent before its spawn:
 * what an earlier run of the session left there is removed; `policy.json`
 * (the mode, approval timeout and default decision, read by the permission
 * server and by a restarted daemon) and `mcp-config.json` (Claude Code's
 * `--mcp-config`: one stdio server `wsctl` running `<command> daemon
 * permission-server --dir <dir>`, with a tool-call `timeout` past the moment
 * the permission server gives up, so Claude Code does not drop a call that is
 * still waiting for a person) are written. Returns the config's path.
 */
export function preparePermissionDir(dir: string, policy: SessionPolicy, server: PermissionServerCommand): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeJsonFile(path.join(dir, "policy.json"), policy);
  const configPath = path.join(dir, "mcp-config.json");
  writeJsonFile(configPath, {
    mcpServers: {
      wsctl: {
        type: "stdio",
        command: server.command,
        args: [...server.args, "daemon", "permission-server", "--dir", dir],
        env: {},
        timeout: policy.approval_timeout_ms + daemonFallbackMs + permissionServerMarginMs + 30_000,
      },
    },
  });
  return configPath;
}

/**
 * The permission part of an agent's argv (AgentLaunchSpec.permission) for a
 * launch with `policy`: with a mode that relays requests, a fresh permission
 * directory `dir` and its `--mcp-config`; else only the mode (and `dir` is
 * removed, so no earlier run's requests linger).
 */
export function setUpPermissions(
  dir: string,
  provider: "claude_code" | "codex",
  policy: SessionPolicy,
  server: PermissionServerCommand = defaultPermissionServerCommand(),
): { mode: PermissionMode; mcpConfigPath?: string } {
  if (!relaysRequests(provider, policy.mode)) {
    rmSync(dir, { recursive: true, force: true });
    return { mode: policy.mode };
  }
  return { mode: policy.mode, mcpConfigPath: preparePermissionDir(dir, policy, server) };
}
