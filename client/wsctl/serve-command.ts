import { type ParseArgsConfig, parseArgs } from "node:util";
import { ConnectError } from "@connectrpc/connect";
import { normalizeOrigin, type RequestLimits, type RunningServer, startServer, startTracing } from "../../server/start-server.js";
import type { CliIo } from "./cli-output.js";
import { createCommandLogger } from "./create-command-logger.js";
import { devRoot, startDevMode } from "./dev-mode.js";
import { loadCommandConfig } from "./load-command-config.js";
import { parseListen } from "./parse-listen.js";
import { parseRateLimit } from "./parse-rate-limit.js";
import { settingOptions } from "./resolve-settings.js";
import { maskDatabase, serveSettings } from "./serve-settings.js";

const usage = `Usage: wsctl serve [options]

Serves gRPC, gRPC-Web, Connect and REST (POST /api/v1/workspaces/{id}/sessions) on one port,
with gRPC health and reflection, /healthz and /readyz, /metrics, the OpenAPI document at
/openapi.json and the browser page at /.

Options (each also a key of the config file's "serve" section, and an environment variable):
  --config FILE           settings from a JSON or YAML file (env WSCTL_CONFIG); flags win over
                          the environment, the environment over the file, the file over defaults
  --print-config          print the effective settings (secrets masked) and exit
  --listen HOST:PORT      address to listen on (env WSCTL_LISTEN; default 127.0.0.1:8080; port 0 = any)
  --database PATH|URL     SQLite file or postgres:// URL (env WSCTL_DATABASE; default ./data/wsctl.db)
  --tls-cert FILE         PEM certificate; with --tls-key serves TLS with ALPN h2 and http/1.1
  --tls-key FILE          PEM private key
  --launch-deadline-ms N  how long a launch waits for the daemon's acknowledgement (default 15000)
  --keepalive-ms N        keep-alive interval on idle session and daemon streams (default 15000)
  --lease-ms N            on PostgreSQL: how long this replica's hold on a daemon's stream lasts
                          unrenewed (renewed every third of it), so others take over within it when
                          the replica dies (default 6000)
  --close-grace-ms N      on SIGTERM, how long launches and requests in flight may finish (default 3000)
  --cors-origin ORIGIN    let pages from ORIGIN (e.g. https://app.example.com) call the API; repeatable
  --max-streams N         HTTP/2 streams one connection may have open at once (default 100)
  --rate-per-address R[:B]  API calls per second from one client address, burst B (default 2000:4000; off)
  --rate-per-token R[:B]  API calls per second with one token, burst B (default 1000:2000; off)
  --auth-failures-per-address R[:B]
                          calls with a missing or bad token per second from one address before that
                          address gets 429 without a lookup (default 10:100; off)
  --max-watch-streams N   concurrent WatchWorkspaceSession streams of one API token (default 100)
  --metrics-listen H:P    serve /metrics on this address, without a token (default: on the main
                          port, for API tokens only)
  --log-level LEVEL       trace, debug, info, warn, error, fatal or silent (env WSCTL_LOG_LEVEL; default info)
  --log-format FORMAT     json, pretty or auto: pretty on a terminal, JSON lines otherwise (default auto)
  --dev                   first-run mode: create workspace "default", machine "local" and tokens
                          (written to data/credentials.json with the server's address, where the
                          client verbs find them), and run a daemon for "local" rooted at --root
  --root DIR              with --dev: the directory (your project, a git repository) the daemon
                          launches agents in (env WSCTL_DEV_ROOT; default: the directory the command
                          was started in; under "npm start", where npm was run: INIT_CWD)
  --claude-bin PATH       with --dev: the claude binary (env WSCTL_CLAUDE_BIN; default claude)
  --codex-bin PATH        with --dev: the codex binary (env WSCTL_CODEX_BIN; default codex)

Logs go to stderr. Traces are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set.

Examples:
  wsctl serve --dev
  npm start -- --root ~/src/myproject       # from a checkout: wsctl serve --dev rooted at myproject
  wsctl serve --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem --database /var/lib/wsctl/wsctl.db
  wsctl serve --config /etc/wsctl/config.yaml --print-config
`;

const options = {
  ...settingOptions(serveSettings),
  config: { type: "string" },
  "print-config": { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} satisfies ParseArgsConfig["options"];

/** `wsctl serve`: runs the server until SIGINT or SIGTERM. */
export async function runServe(args: string[], io: CliIo): Promise<number> {
  let flags: Record<string, unknown>;
  try {
    flags = parseArgs({ args, options, strict: true }).values;
  } catch (error) {
    io.stderr(`wsctl serve: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (flags.help) {
    io.stdout(usage);
    return 0;
  }
  let values: Record<string, unknown>;
  let root = "";
  try {
    const resolved = await loadCommandConfig("serve", serveSettings, flags, io);
    if (!resolved) return 0;
    values = resolved.values;
    for (const origin of values["cors-origin"] as string[]) {
      try {
        normalizeOrigin(origin);
      } catch (error) {
        throw new Error(`--cors-origin: ${(error as Error).message}`);
      }
    }
    if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"])) throw new Error("--tls-cert and --tls-key go together");
    if (values.root !== undefined && !values.dev) throw new Error("--root goes with --dev");
    if (values.dev) root = await devRoot(values.root as string | undefined, io.env, io.cwd);
  } catch (error) {
    io.stderr(`wsctl serve: ${(error as Error).message}\n`);
    return 2;
  }
  const limits = limitsOf(values);
  if (typeof limits === "string") {
    io.stderr(`wsctl serve: ${limits}\n`);
    return 2;
  }
  const listen = parseListen(values.listen as string)!;
  const metricsListen = values["metrics-listen"] ? parseListen(values["metrics-listen"] as string) : undefined;
  const database = values.database as string;
  const logger = createCommandLogger(values, "server", io);
  const tracing = await startTracing("wsctl-serve", io.env);

  let server: RunningServer;
  try {
    server = await startServer({
      host: listen.host,
      port: listen.port,
      database,
      ...(values["tls-cert"] ? { tls: { certPath: values["tls-cert"] as string, keyPath: values["tls-key"] as string } } : {}),
      launchDeadlineMs: values["launch-deadline-ms"] as number,
      heartbeatMs: values["keepalive-ms"] as number,
      pingIntervalMs: values["keepalive-ms"] as number,
      closeGraceMs: values["close-grace-ms"] as number,
      ...(values["lease-ms"] !== undefined ? { leaseMs: values["lease-ms"] as number } : {}),
      corsOrigins: values["cors-origin"] as string[],
      ...(metricsListen ? { metricsListen } : {}),
      ...(limits.maxConcurrentStreams !== undefined ? { maxConcurrentStreams: limits.maxConcurrentStreams } : {}),
      limits: limits.request,
      logger,
    });
  } catch (error) {
    // The door's message names the step: a TLS file, "cannot open the database: …", "cannot listen on …".
    const message = ConnectError.from(error).rawMessage;
    io.stderr(`wsctl serve: ${message}\n`);
    if (message.startsWith("cannot listen on") && /EADDRINUSE|EACCES|EADDRNOTAVAIL/.test(message)) {
      io.stderr("wsctl serve: hint: choose another --listen HOST:PORT, or --listen 127.0.0.1:0 for any free port\n");
    }
    await tracing?.shutdown();
    return 1;
  }
  io.stdout(`wsctl: serving gRPC, gRPC-Web, Connect and REST on ${server.url}\n`);
  logger.info(
    { url: server.url, database: maskDatabase(database), metrics_url: server.metricsUrl, tracing: tracing !== undefined },
    "serving",
  );

  const stopped = io.signal ?? new AbortController().signal;
  const dev = values.dev
    ? await startDevMode({
        store: server.store,
        database,
        serverUrl: server.url,
        root,
        io,
        signal: stopped,
        bins: { claude: values["claude-bin"] as string, codex: values["codex-bin"] as string },
        logger: createCommandLogger(values, "daemon", io),
      })
    : undefined;

  await new Promise<void>((resolve) => {
    if (stopped.aborted) resolve();
    else stopped.addEventListener("abort", () => resolve(), { once: true });
  });
  io.stdout("wsctl: shutting down\n");
  logger.info("shutting down");
  await dev?.stopped;
  await server.close();
  await tracing?.shutdown();
  logger.info("stopped");
  return 0;
}

/** The limits flags as `startServer` takes them, or what is wrong with one. */
function limitsOf(values: Record<string, unknown>): { maxConcurrentStreams?: number; request: RequestLimits } | string {
  const request: RequestLimits = {};
  const rates = [
    ["rate-per-address", "perAddress"],
    ["rate-per-token", "perToken"],
    ["auth-failures-per-address", "authFailuresPerAddress"],
  ] as const;
  for (const [flag, field] of rates) {
    const value = values[flag] as string | undefined;
    if (value === undefined) continue;
    const limit = parseRateLimit(value);
    if (limit === undefined) return `--${flag} must be RATE, RATE:BURST (per second) or off, got "${value}"`;
    request[field] = limit;
  }
  const watch = positive(values["max-watch-streams"] as string | number | undefined);
  if (watch === null) return "--max-watch-streams must be a positive whole number";
  if (watch !== undefined) request.watchStreamsPerToken = watch;
  const streams = positive(values["max-streams"] as string | number | undefined);
  if (streams === null) return "--max-streams must be a positive whole number";
  return streams !== undefined ? { maxConcurrentStreams: streams, request } : { request };
}

/** A positive whole number flag: undefined when absent, null when malformed. */
function positive(value: string | number | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : null;
}
