import { logLevels } from "../../server/start-server.js";
import { parseListen } from "./parse-listen.js";
import type { Setting } from "./resolve-settings.js";

const hostPort = (v: string) => (parseListen(v) ? undefined : "must be HOST:PORT, for example 127.0.0.1:8080");
const positive = (v: number) => (v > 0 ? undefined : "must be a positive whole number");
const levels = (v: string) => ((logLevels as readonly string[]).includes(v) ? undefined : `must be one of ${logLevels.join(", ")}`);
const formats = (v: string) => (["auto", "json", "pretty"].includes(v) ? undefined : "must be auto, json or pretty");

/** The settings `--log-level` and `--log-format` that serve and daemon share. */
export const logSettings: Setting[] = [
  { key: "log-level", type: "string", env: "WSCTL_LOG_LEVEL", default: "info", check: levels },
  { key: "log-format", type: "string", env: "WSCTL_LOG_FORMAT", default: "auto", check: formats },
];

/**
 * Every setting of `wsctl serve`: the flag `--<key>`, the key `<key>` in the
 * config file's `serve:` section, the environment variable, the default.
 */
export const serveSettings: Setting[] = [
  { key: "listen", type: "string", env: "WSCTL_LISTEN", default: "127.0.0.1:8080", check: hostPort },
  { key: "database", type: "string", env: "WSCTL_DATABASE", default: "./data/wsctl.db", secret: (v: string) => maskDatabase(v) },
  { key: "tls-cert", type: "string", env: "WSCTL_TLS_CERT" },
  { key: "tls-key", type: "string", env: "WSCTL_TLS_KEY" },
  { key: "launch-deadline-ms", type: "integer", env: "WSCTL_LAUNCH_DEADLINE_MS", default: 15_000, check: positive },
  { key: "keepalive-ms", type: "integer", env: "WSCTL_KEEPALIVE_MS", default: 15_000, check: positive },
  { key: "close-grace-ms", type: "integer", env: "WSCTL_CLOSE_GRACE_MS", default: 3_000 },
  { key: "lease-ms", type: "integer", env: "WSCTL_LEASE_MS", check: positive },
  { key: "cors-origin", type: "list", env: "WSCTL_CORS_ORIGIN", default: [] },
  { key: "max-streams", type: "string", env: "WSCTL_MAX_STREAMS" },
  { key: "rate-per-address", type: "string", env: "WSCTL_RATE_PER_ADDRESS" },
  { key: "rate-per-token", type: "string", env: "WSCTL_RATE_PER_TOKEN" },
  { key: "auth-failures-per-address", type: "string", env: "WSCTL_AUTH_FAILURES_PER_ADDRESS" },
  { key: "max-watch-streams", type: "string", env: "WSCTL_MAX_WATCH_STREAMS" },
  { key: "metrics-listen", type: "string", env: "WSCTL_METRICS_LISTEN", check: hostPort },
  ...logSettings,
  { key: "dev", type: "boolean", env: "WSCTL_DEV", default: false },
  { key: "root", type: "string", env: "WSCTL_DEV_ROOT" },
  { key: "claude-bin", type: "string", env: "WSCTL_CLAUDE_BIN", default: "claude" },
  { key: "codex-bin", type: "string", env: "WSCTL_CODEX_BIN", default: "codex" },
];

/** A database setting as --print-config shows it: a URL's password masked, a path as it is. */
export function maskDatabase(database: string): string {
  return database.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]+:)[^@]*@/i, "$1***@");
}
