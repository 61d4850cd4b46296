import {
  createWorkspaceClient,
  type WorkspaceClient,
  type WorkspaceProtocol,
  workspaceProtocols,
} from "../create-workspace-client.js";
import { type CliIo, exitCode } from "./cli-output.js";
import { formatError } from "./format-error.js";
import { UsageError } from "./usage-error.js";
import { createProgressLine, type ProgressLine } from "./create-progress-line.js";
import { errnoOf } from "../daemon/errno-of.js";

/** The `parseArgs` options every client verb takes. */
export const clientOptions = {
  server: { type: "string" },
  token: { type: "string" },
  protocol: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** Help text for `clientOptions`, appended to each verb's usage. */
export const clientOptionsHelp = `Connection (every client verb):
  --server URL            server address (env WSCTL_SERVER), for example http://127.0.0.1:8080
  --token TOKEN           API token (env WSCTL_TOKEN)
  --protocol P            connect (default), grpc or grpc-web (env WSCTL_PROTOCOL)
  --json                  print JSON (proto field names) instead of text
  -h, --help              print this help`;

export interface ClientSettings {
  baseUrl: string;
  token: string;
  protocol: WorkspaceProtocol;
}

/**
 * Server, token and protocol from the flags, else WSCTL_SERVER / WSCTL_TOKEN /
 * WSCTL_PROTOCOL (an empty variable counts as unset). Throws UsageError.
 */
export function resolveClientSettings(
  values: { server?: string | undefined; token?: string | undefined; protocol?: string | undefined },
  env: NodeJS.ProcessEnv,
): ClientSettings {
  const baseUrl = values.server ?? (env.WSCTL_SERVER || undefined);
  if (!baseUrl) throw new UsageError("no server: pass --server URL or set WSCTL_SERVER");
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`--server ${JSON.stringify(baseUrl)} is not a URL: use http://HOST:PORT or https://HOST`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--server must be an http:// or https:// URL, not ${url.protocol}`);
  }
  const token = values.token ?? (env.WSCTL_TOKEN || undefined);
  if (!token) throw new UsageError("no token: pass --token TOKEN or set WSCTL_TOKEN");
  const protocol = values.protocol ?? (env.WSCTL_PROTOCOL || "connect");
  if (!(workspaceProtocols as readonly string[]).includes(protocol)) {
    throw new UsageError(`--protocol must be one of ${workspaceProtocols.join(", ")}, not ${JSON.stringify(protocol)}`);
  }
  return { baseUrl, token, protocol: protocol as WorkspaceProtocol };
}

/** A client for the resolved settings. Throws UsageError. */
export function clientFromOptions(
  values: { server?: string | undefined; token?: string | undefined; protocol?: string | undefined },
  env: NodeJS.ProcessEnv,
): WorkspaceClient {
  return createWorkspaceClient(resolveClientSettings(values, env));
}

/** A whole number from a flag, within `[min, max]`. Throws UsageError. */
export function parseWholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** Node's parseArgs errors (unknown option, missing value) are usage errors. */
function isParseArgsError(error: unknown): boolean {
  return errnoOf(error)?.startsWith("ERR_PARSE_ARGS_") ?? false;
}

/**
 * Runs a client verb's body and turns what it throws into output and an exit
 * status: usage mistakes are one line and exit 2; failed calls are one line
 * `wsctl <verb>: <code>: <message>` and exit 1; an abort through `io.signal`
 * (Ctrl-C) exits 130 quietly. The progress line is cleared before anything is printed.
 */
export async function runClientVerb(
  verb: string,
  io: CliIo,
  body: (progress: ProgressLine) => Promise<number>,
): Promise<number> {
  const progress = createProgressLine(io);
  try {
    return await body(progress);
  } catch (error) {
    progress.clear();
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr(`wsctl ${verb}: ${(error as Error).message}\nRun "wsctl ${verb} --help" for usage.\n`);
      return exitCode.usage;
    }
    if (io.signal?.aborted) return 130;
    io.stderr(formatError(verb, error));
    return exitCode.failure;
  } finally {
    progress.clear();
  }
}
