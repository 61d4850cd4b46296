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
import { type DevCredentials, devCredentialsFile, devServerUrl, readDevCredentials } from "./dev-credentials.js";

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
  --server URL            server address (env WSCTL_SERVER; default: the dev server, as
                          data/credentials.json names it, else ${devServerUrl})
  --token TOKEN           API token (env WSCTL_TOKEN; default: the api_token of
                          data/credentials.json, written by "npm start" / "wsctl serve --dev",
                          whose workspace_id is then the default --workspace)
  --protocol P            connect (default), grpc or grpc-web (env WSCTL_PROTOCOL)
  --json                  print JSON (proto field names, every field) instead of text
  -h, --help              print this help
  --version               print the version of wsctl`;

export interface ClientSettings {
  baseUrl: string;
  token: string;
  protocol: WorkspaceProtocol;
  /** What `--workspace` defaults to: the dev credentials' workspace when their token is the one used. */
  defaultWorkspace?: string;
}

type ConnectionFlags = { server?: string | undefined; token?: string | undefined; protocol?: string | undefined };

/**
 * Server, token and protocol from the flags, else WSCTL_SERVER / WSCTL_TOKEN /
 * WSCTL_PROTOCOL (an empty variable counts as unset), else dev mode: the
 * server and API token `serve --dev` wrote to `credentials` (the server
 * defaulting to 127.0.0.1:8080), and their workspace as the default
 * `--workspace`. Throws UsageError.
 */
export function resolveClientSettings(values: ConnectionFlags, env: NodeJS.ProcessEnv, credentials?: DevCredentials): ClientSettings {
  const baseUrl = values.server ?? (env.WSCTL_SERVER || undefined) ?? credentials?.server_url ?? devServerUrl;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`--server ${JSON.stringify(baseUrl)} is not a URL: use http://HOST:PORT or https://HOST`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--server must be an http:// or https:// URL, not ${url.protocol}`);
  }
  const given = values.token ?? (env.WSCTL_TOKEN || undefined);
  const token = given ?? credentials?.api_token;
  if (!token) {
    throw new UsageError(
      `no token: pass --token TOKEN or set WSCTL_TOKEN (or run where "npm start" / "wsctl serve --dev" wrote ${devCredentialsFile})`,
    );
  }
  const protocol = values.protocol ?? (env.WSCTL_PROTOCOL || "connect");
  if (!(workspaceProtocols as readonly string[]).includes(protocol)) {
    throw new UsageError(`--protocol must be one of ${workspaceProtocols.join(", ")}, not ${JSON.stringify(protocol)}`);
  }
  const settings: ClientSettings = { baseUrl, token, protocol: protocol as WorkspaceProtocol };
  if (given === undefined && credentials !== undefined) settings.defaultWorkspace = credentials.workspace_id;
  return settings;
}

/**
 * A client for the resolved settings, and the workspace: `--workspace`, else
 * the dev credentials' when their token is used. The credentials file
 * (`data/credentials.json` under `io.cwd`) is read only when a flag or
 * variable it stands in for is missing. Throws UsageError.
 */
export function clientFromOptions(
  values: ConnectionFlags & { workspace?: string | undefined },
  io: Pick<CliIo, "env" | "cwd">,
): { client: WorkspaceClient; workspaceId: string | undefined } {
  const needsDev = (values.token ?? (io.env.WSCTL_TOKEN || undefined)) === undefined || (values.server ?? (io.env.WSCTL_SERVER || undefined)) === undefined;
  const credentials = needsDev ? readDevCredentials(io.cwd ?? process.cwd()) : undefined;
  const settings = resolveClientSettings(values, io.env, credentials);
  return { client: createWorkspaceClient(settings), workspaceId: values.workspace ?? settings.defaultWorkspace };
}

/** The workspace a verb acts on. Throws UsageError when there is none. */
export function requireWorkspace(workspaceId: string | undefined): string {
  if (!workspaceId) throw new UsageError("--workspace W is required");
  return workspaceId;
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
