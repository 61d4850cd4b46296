import { type ParseArgsConfig, parseArgs } from "node:util";
import { ConnectError } from "@connectrpc/connect";
import {
  normalizeOrigin,
  type RequestLimits,
  type RunningServer,
  serverDefaults,
  startServer,
} from "../../server/start-server.js";
import type { CliIo } from "./cli-output.js";
import { startDevMode } from "./dev-mode.js";
import { parseListen } from "./parse-listen.js";
import { parseRateLimit } from "./parse-rate-limit.js";

const usage = `Usage: wsctl serve [options]

Serves gRPC, gRPC-Web, Connect and REST (POST /api/v1/workspaces/{id}/sessions) on one port,
with gRPC health and reflection, the OpenAPI document at /openapi.json and the browser page at /.

Options:
  --listen HOST:PORT      address to listen on (env WSCTL_LISTEN; default 127.0.0.1:8080; port 0 = any)
  --database PATH|URL     SQLite file or postgres:// URL (env WSCTL_DATABASE; default ./data/wsctl.db)
  --tls-cert FILE         PEM certificate; with --tls-key serves TLS with ALPN h2 and http/1.1
  --tls-key FILE          PEM private key
  --launch-deadline-ms N  how long a launch waits for the daemon's acknowledgement (default 15000)
  --keepalive-ms N        keep-alive interval on idle session and daemon streams (default 15000)
  --lease-ms N            on PostgreSQL: how long this replica's hold on a daemon's stream lasts
                          unrenewed (renewed every third of it), so others take over within it when
                          the replica dies (default 6000)
  --cors-origin ORIGIN    let pages from ORIGIN (e.g. https://app.example.com) call the API; repeatable
  --max-streams N         HTTP/2 streams one connection may have open at once (default 100)
  --rate-per-address R[:B]  API calls per second from one client address, burst B (default 2000:4000; off)
  --rate-per-token R[:B]  API calls per second with one token, burst B (default 1000:2000; off)
  --auth-failures-per-address R[:B]
                          calls with a missing or bad token per second from one address before that
                          address gets 429 without a lookup (default 10:100; off)
  --max-watch-streams N   concurrent WatchWorkspaceSession streams of one API token (default 100)
  --dev                   first-run mode: create workspace "default", machine "local" and tokens
                          (written to data/credentials.json), and run a daemon for "local" rooted
                          at the current directory
  --claude-bin PATH       with --dev: the claude binary (env WSCTL_CLAUDE_BIN; default claude)
  --codex-bin PATH        with --dev: the codex binary (env WSCTL_CODEX_BIN; default codex)

Examples:
  wsctl serve --dev
  wsctl serve --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem --database /var/lib/wsctl/wsctl.db
`;

const options = {
  listen: { type: "string" },
  database: { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "launch-deadline-ms": { type: "string" },
  "keepalive-ms": { type: "string" },
  "lease-ms": { type: "string" },
  "cors-origin": { type: "string", multiple: true, default: [] as string[] },
  "max-streams": { type: "string" },
  "rate-per-address": { type: "string" },
  "rate-per-token": { type: "string" },
  "auth-failures-per-address": { type: "string" },
  "max-watch-streams": { type: "string" },
  dev: { type: "boolean", default: false },
  "claude-bin": { type: "string" },
  "codex-bin": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
  } satisfies ParseArgsConfig["options"];

function parseOptions(args: string[]) {
  return parseArgs({ args, options, strict: true }).values;
}

/** `wsctl serve`: runs the server until SIGINT or SIGTERM. */
export async function runServe(args: string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parseOptions>;
  try {
    values = parseOptions(args);
  } catch (error) {
    io.stderr(`wsctl serve: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  const listen = parseListen(values.listen ?? io.env.WSCTL_LISTEN ?? `${serverDefaults.host}:${serverDefaults.port}`);
  if (!listen) {
    io.stderr("wsctl serve: --listen must be HOST:PORT, for example 127.0.0.1:8080\n");
    return 2;
  }
  if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"])) {
    io.stderr("wsctl serve: --tls-cert and --tls-key go together\n");
    return 2;
  }
  const deadline = values["launch-deadline-ms"] !== undefined ? Number(values["launch-deadline-ms"]) : undefined;
  if (deadline !== undefined && !(Number.isInteger(deadline) && deadline > 0)) {
    io.stderr("wsctl serve: --launch-deadline-ms must be a positive whole number\n");
    return 2;
  }
  const keepalive = values["keepalive-ms"] !== undefined ? Number(values["keepalive-ms"]) : undefined;
  if (keepalive !== undefined && !(Number.isInteger(keepalive) && keepalive > 0)) {
    io.stderr("wsctl serve: --keepalive-ms must be a positive whole number\n");
    return 2;
  }
  const lease = values["lease-ms"] !== undefined ? Number(values["lease-ms"]) : undefined;
  if (lease !== undefined && !(Number.isInteger(lease) && lease > 0)) {
    io.stderr("wsctl serve: --lease-ms must be a positive whole number\n");
    return 2;
  }
  for (const origin of values["cors-origin"]) {
    try {
      normalizeOrigin(origin);
    } catch (error) {
      io.stderr(`wsctl serve: --cors-origin: ${(error as Error).message}\n`);
      return 2;
    }
  }
  const limits = limitsOf(values);
  if (typeof limits === "string") {
    io.stderr(`wsctl serve: ${limits}\n`);
    return 2;
  }
  const database = values.database ?? io.env.WSCTL_DATABASE ?? serverDefaults.database;

  let server: RunningServer;
  try {
    server = await startServer({
      host: listen.host,
      port: listen.port,
      database,
      ...(values["tls-cert"] && values["tls-key"] ? { tls: { certPath: values["tls-cert"], keyPath: values["tls-key"] } } : {}),
      ...(deadline !== undefined ? { launchDeadlineMs: deadline } : {}),
      ...(keepalive !== undefined ? { heartbeatMs: keepalive, pingIntervalMs: keepalive } : {}),
      ...(lease !== undefined ? { leaseMs: lease } : {}),
      corsOrigins: values["cors-origin"],
      ...(limits.maxConcurrentStreams !== undefined ? { maxConcurrentStreams: limits.maxConcurrentStreams } : {}),
      limits: limits.request,
      log: (message, error) => io.stderr(`wsctl serve: ${message}${error ? `: ${(error as Error)?.stack ?? String(error)}` : ""}\n`),
    });
  } catch (error) {
    // The door's message names the step: a TLS file, "cannot open the database: …", "cannot listen on …".
    io.stderr(`wsctl serve: ${ConnectError.from(error).rawMessage}\n`);
    return 1;
  }
  io.stdout(`wsctl: serving gRPC, gRPC-Web, Connect and REST on ${server.url}\n`);

  const stopped = io.signal ?? new AbortController().signal;
  const dev = values.dev
    ? await startDevMode({
        store: server.store,
        database,
        serverUrl: server.url,
        io,
        signal: stopped,
        bins: {
          claude: values["claude-bin"] ?? io.env.WSCTL_CLAUDE_BIN ?? "claude",
          codex: values["codex-bin"] ?? io.env.WSCTL_CODEX_BIN ?? "codex",
        },
      })
    : undefined;

  await new Promise<void>((resolve) => {
    if (stopped.aborted) resolve();
    else stopped.addEventListener("abort", () => resolve(), { once: true });
  });
  io.stdout("wsctl: shutting down\n");
  await dev?.stopped;
  await server.close();
  return 0;
}

/** The limit flags of `wsctl serve` as startServer options, or what is wrong with them. */
function limitsOf(values: ReturnType<typeof parseOptions>): { maxConcurrentStreams?: number; request: RequestLimits } | string {
  const request: RequestLimits = {};
  const rates = [
    ["rate-per-address", "perAddress"],
    ["rate-per-token", "perToken"],
    ["auth-failures-per-address", "authFailuresPerAddress"],
  ] as const;
  for (const [flag, field] of rates) {
    const value = values[flag];
    if (value === undefined) continue;
    const limit = parseRateLimit(value);
    if (limit === undefined) return `--${flag} must be RATE, RATE:BURST (per second) or off, got "${value}"`;
    request[field] = limit;
  }
  const watch = positive(values["max-watch-streams"]);
  if (watch === null) return "--max-watch-streams must be a positive whole number";
  if (watch !== undefined) request.watchStreamsPerToken = watch;
  const streams = positive(values["max-streams"]);
  if (streams === null) return "--max-streams must be a positive whole number";
  return streams !== undefined ? { maxConcurrentStreams: streams, request } : { request };
}

/** A positive whole number flag: undefined when absent, null when malformed. */
function positive(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : null;
}
