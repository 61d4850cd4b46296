import type { Setting } from "./resolve-settings.js";
import { logSettings } from "./serve-settings.js";

const protocols = (v: string) => (v === "grpc" || v === "connect" ? undefined : "must be grpc or connect");
const atLeast1k = (v: number) => (v >= 1024 ? undefined : "must be a whole number of at least 1024");
const urls = (vs: string[]) =>
  vs.find((v) => !/^https?:\/\/[^/\s]+/.test(v)) === undefined ? undefined : "must be http:// or https:// URLs, e.g. http://127.0.0.1:8080";

/**
 * Every setting of `wsctl daemon`: the flag `--<key>`, the key `<key>` in the
 * config file's `daemon:` section (`workspace-root` there is an object of
 * workspace id to directory), the environment variable, the default. The
 * state directory's default is the daemon's own (XDG state home).
 */
export const daemonSettings: Setting[] = [
  // Several: replicas of one server, in failover order (comma-separated in WSCTL_SERVER).
  { key: "server", type: "list", env: "WSCTL_SERVER", default: [], check: urls },
  // The token itself: visible in ps on the command line, so the daemon warns (prefer token-file).
  { key: "token", type: "string", secret: true },
  { key: "token-file", type: "string", env: "WSCTL_TOKEN_FILE" },
  // WSCTL_* variables the agents may see; every other one is scrubbed.
  { key: "agent-env-allow", type: "list", env: "WSCTL_AGENT_ENV_ALLOW", default: [] },
  { key: "workspace-root", type: "map", env: "WSCTL_WORKSPACE_ROOTS" },
  { key: "claude-bin", type: "string", env: "WSCTL_CLAUDE_BIN", default: "claude" },
  { key: "codex-bin", type: "string", env: "WSCTL_CODEX_BIN", default: "codex" },
  { key: "protocol", type: "string", env: "WSCTL_DAEMON_PROTOCOL", default: "grpc", check: protocols },
  { key: "startup-window-ms", type: "integer", env: "WSCTL_STARTUP_WINDOW_MS" },
  { key: "transcript-entry-bytes", type: "integer", env: "WSCTL_TRANSCRIPT_ENTRY_BYTES", check: atLeast1k },
  { key: "transcript-session-bytes", type: "integer", env: "WSCTL_TRANSCRIPT_SESSION_BYTES", check: atLeast1k },
  { key: "state-dir", type: "string", env: "WSCTL_DAEMON_STATE_DIR" },
  { key: "stop-agents", type: "boolean", env: "WSCTL_STOP_AGENTS", default: false },
  // The default since agents outlive a daemon restart; accepted for older scripts and files.
  { key: "keep-agents", type: "boolean", default: true },
  ...logSettings,
];
