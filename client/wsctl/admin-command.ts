import { parseArgs } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { generateToken, hashToken, looksLikeToken } from "../../server/auth/api-token.js";
import { openStore } from "../../server/store/open-store.js";
import type { Store, TokenKind } from "../../server/store/store.js";
import { type CliIo, exitCode, formatTable, printJson } from "./cli-output.js";
import { UsageError } from "./usage-error.js";

/** Database used when neither `--database` nor `WSCTL_DATABASE` says otherwise. */
export const defaultDatabase = "./data/wsctl.db";

const usage = `Usage: wsctl admin <verb> [options]

Verbs:
  create-workspace ID                         create a workspace
  create-machine MID --workspace ID [--default]
                                              create a machine in a workspace; the first
                                              machine of a workspace becomes its default
  create-token --workspace ID [--workspace ID2 ...]
                                              create an API token for these workspaces
  create-token --machine MID                  create a machine token for a daemon
  revoke-token TOKEN_ID_OR_TOKEN              revoke a token by its id (tok_...) or itself
  list                                        list workspaces, machines and tokens

Options (every verb):
  --database PATH|URL   SQLite file or postgres:// URL
                        (default: $WSCTL_DATABASE, else ${defaultDatabase})
  --json                print one JSON object on stdout
  -h, --help            print this help

create-token prints the token alone on the last line; it is shown only once.
IDs are 1-64 characters: letters, digits, '.', '_' and '-', starting with a letter or digit.

Examples:
  wsctl admin create-workspace acme
  wsctl admin create-machine laptop --workspace acme
  wsctl admin create-token --workspace acme | tail -n 1 > api-token
  wsctl admin create-token --machine laptop --json
  wsctl admin revoke-token tok_0123456789ab
  wsctl admin list --database /var/lib/wsctl/wsctl.db
`;

const options = {
  database: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  workspace: { type: "string", multiple: true },
  machine: { type: "string" },
  default: { type: "boolean" },
} as const;

type OptionName = keyof typeof options;

interface Parsed {
  positionals: string[];
  workspaces: string[];
  machine: string | undefined;
  makeDefault: boolean;
}

interface Verb {
  /** Positional argument names, in order; each is required. */
  positionals: readonly string[];
  /** Options besides --database, --json and --help. */
  options: readonly OptionName[];
  /** Checks the arguments before the database is opened; throws UsageError. */
  check(args: Parsed): void;
  run(store: Store, args: Parsed): Promise<{ json: unknown; lines: string[] }>;
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const tokenIdPattern = /^tok_[A-Za-z0-9]{1,60}$/;

function checkId(what: string, value: string): string {
  if (!idPattern.test(value)) {
    throw new UsageError(
      `invalid ${what} id ${JSON.stringify(value)}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return value;
}

function failure(message: string, code: Code): ConnectError {
  return new ConnectError(message, code);
}

function iso(time: number | undefined): string | null {
  return time === undefined ? null : new Date(time).toISOString();
}

const verbs: Record<string, Verb> = {
  "create-workspace": {
    positionals: ["ID"],
    options: [],
    check({ positionals: [raw = ""] }) {
      checkId("workspace", raw);
    },
    async run(store, { positionals: [raw = ""] }) {
      const workspaceId = checkId("workspace", raw);
      if (await store.getWorkspace(workspaceId)) throw failure(`workspace ${workspaceId} already exists`, Code.AlreadyExists);
      await store.createWorkspace(workspaceId, Date.now());
      return { json: { workspace_id: workspaceId }, lines: [`created workspace ${workspaceId}`] };
    },
  },

  "create-machine": {
    positionals: ["MID"],
    options: ["workspace", "default"],
    check({ positionals: [raw = ""], workspaces }) {
      checkId("machine", raw);
      if (workspaces.length !== 1) throw new UsageError("create-machine needs exactly one --workspace ID");
      checkId("workspace", workspaces[0] ?? "");
    },
    async run(store, { positionals: [raw = ""], workspaces: [workspaceId = ""], makeDefault }) {
      const machineId = raw;
      if (!(await store.getWorkspace(workspaceId))) throw failure(`workspace ${workspaceId} not found`, Code.NotFound);
      if (await store.getMachine(machineId)) throw failure(`machine ${machineId} already exists`, Code.AlreadyExists);
      await store.createMachine({ machineId, workspaceId, makeDefault, now: Date.now() });
      const isDefault = (await store.getWorkspace(workspaceId))?.defaultMachineId === machineId;
      return {
        json: { machine_id: machineId, workspace_id: workspaceId, default: isDefault },
        lines: [`created machine ${machineId} in workspace ${workspaceId}${isDefault ? " (default)" : ""}`],
      };
    },
  },

  "create-token": {
    positionals: [],
    options: ["workspace", "machine"],
    check({ workspaces, machine }) {
      if ((workspaces.length > 0) === (machine !== undefined)) {
        throw new UsageError("create-token needs either --workspace ID (one or more) or --machine MID");
      }
      if (machine !== undefined) checkId("machine", machine);
      for (const w of workspaces) checkId("workspace", w);
    },
    async run(store, { workspaces, machine }) {
      let kind: TokenKind;
      let workspaceIds: string[];
      let machineId: string | undefined;
      if (machine !== undefined) {
        kind = "machine";
        machineId = machine;
        const record = await store.getMachine(machineId);
        if (!record) throw failure(`machine ${machineId} not found`, Code.NotFound);
        workspaceIds = [record.workspaceId];
      } else {
        kind = "api";
        workspaceIds = [...new Set(workspaces)];
        for (const workspaceId of workspaceIds) {
          if (!(await store.getWorkspace(workspaceId))) throw failure(`workspace ${workspaceId} not found`, Code.NotFound);
        }
      }
      const { token, tokenId, hashHex } = generateToken(kind);
      await store.createToken({
        tokenId,
        kind,
        hashHex,
        workspaceIds: kind === "api" ? workspaceIds : [],
        machineId,
        now: Date.now(),
      });
      const scope = machineId !== undefined ? `machine ${machineId}` : `workspace${workspaceIds.length > 1 ? "s" : ""} ${workspaceIds.join(", ")}`;
      const json: Record<string, unknown> = { token_id: tokenId, token, kind, workspace_ids: workspaceIds };
      if (machineId !== undefined) json.machine_id = machineId;
      return {
        json,
        lines: [`created ${kind === "api" ? "API" : "machine"} token ${tokenId} for ${scope}; it is shown only once:`, token],
      };
    },
  },

  "revoke-token": {
    positionals: ["TOKEN_ID_OR_TOKEN"],
    options: [],
    check({ positionals: [raw = ""] }) {
      if (!looksLikeToken(raw) && !tokenIdPattern.test(raw)) {
        throw new UsageError("revoke-token needs a token id (tok_...) or a token (wsa_... or wsm_...)");
      }
    },
    async run(store, { positionals: [raw = ""] }) {
      let tokenId: string;
      if (looksLikeToken(raw)) {
        // Never echo the token itself, not even in an error.
        const record = await store.findTokenByHash(hashToken(raw));
        if (!record) throw failure("token not found or already revoked", Code.NotFound);
        tokenId = record.tokenId;
      } else {
        tokenId = raw;
      }
      if (!(await store.revokeToken(tokenId, Date.now()))) {
        throw failure(`token ${tokenId} not found or already revoked`, Code.NotFound);
      }
      return { json: { token_id: tokenId, revoked: true }, lines: [`revoked token ${tokenId}`] };
    },
  },

  list: {
    positionals: [],
    options: [],
    check() {},
    async run(store) {
      const workspaces = await store.listWorkspaces();
      const machines = await store.listMachines();
      const tokens = await store.listTokens();
      const defaults = new Set(workspaces.map((w) => w.defaultMachineId));
      const json = {
        workspaces: workspaces.map((w) => ({
          workspace_id: w.workspaceId,
          default_machine_id: w.defaultMachineId ?? null,
          created_at: iso(w.createdAt),
        })),
        machines: machines.map((m) => ({
          machine_id: m.machineId,
          workspace_id: m.workspaceId,
          default: defaults.has(m.machineId),
          hostname: m.hostname,
          daemon_version: m.daemonVersion,
          last_seen_at: iso(m.lastSeenAt),
        })),
        tokens: tokens.map((t) => ({
          token_id: t.tokenId,
          kind: t.kind,
          workspace_ids: t.workspaceIds,
          machine_id: t.machineId ?? null,
          created_at: iso(t.createdAt),
          revoked_at: iso(t.revokedAt),
        })),
      };
      const lines = [
        ...formatTable([
          ["WORKSPACE", "DEFAULT MACHINE", "CREATED"],
          ...json.workspaces.map((w) => [w.workspace_id, w.default_machine_id ?? "-", w.created_at ?? "-"]),
        ]),
        "",
        ...formatTable([
          ["MACHINE", "WORKSPACE", "DEFAULT", "LAST SEEN"],
          ...json.machines.map((m) => [m.machine_id, m.workspace_id, m.default ? "yes" : "no", m.last_seen_at ?? "never"]),
        ]),
        "",
        ...formatTable([
          ["TOKEN", "KIND", "SCOPE", "STATE"],
          ...json.tokens.map((t) => [
            t.token_id,
            t.kind,
            t.machine_id ?? t.workspace_ids.join(","),
            t.revoked_at === null ? "live" : `revoked ${t.revoked_at}`,
          ]),
        ]),
      ];
      return { json, lines };
    },
  },
};

/**
 * `wsctl admin <verb>`: manages workspaces, machines and tokens directly in the
 * database. Returns the exit code: 0 on success, 1 when the operation failed
 * (for example "workspace w1 already exists"), 2 for a usage error.
 */
export async function runAdmin(args: string[], io: CliIo): Promise<number> {
  let verb: Verb;
  let parsed: Parsed;
  let json: boolean;
  let database: string;
  try {
    // Options may come before or after the verb: `wsctl admin --json list` works too.
    const { values, positionals: all } = parseArgs({ args, options, allowPositionals: true, strict: true });
    if (values.help || all[0] === "help") {
      io.stdout(usage);
      return exitCode.ok;
    }
    const [verbName, ...positionals] = all;
    if (verbName === undefined) throw new UsageError("missing verb");
    const found = Object.hasOwn(verbs, verbName) ? verbs[verbName] : undefined;
    if (found === undefined) throw new UsageError(`unknown verb ${JSON.stringify(verbName)}`);
    verb = found;
    for (const name of ["workspace", "machine", "default"] as const) {
      if (values[name] !== undefined && !verb.options.includes(name)) {
        throw new UsageError(`${verbName} does not take --${name}`);
      }
    }
    if (positionals.length !== verb.positionals.length) {
      const expected = verb.positionals.length === 0 ? "no arguments" : verb.positionals.join(" ");
      throw new UsageError(`${verbName} takes ${expected}, got ${positionals.length} argument(s)`);
    }
    parsed = { positionals, workspaces: values.workspace ?? [], machine: values.machine, makeDefault: values.default ?? false };
    verb.check(parsed);
    json = values.json ?? false;
    database = values.database || io.env.WSCTL_DATABASE || defaultDatabase;
  } catch (err) {
    // parseArgs throws TypeErrors for unknown options and missing values; keep their first line.
    const message = err instanceof Error ? (err.message.split(/\n|\. To specify/)[0] ?? "") : String(err);
    return usageFailure(io, message);
  }

  let store: Store;
  try {
    store = await openStore(database);
  } catch (err) {
    return fail(io, `cannot open database: ${errorMessage(err)}`);
  }
  try {
    const result = await verb.run(store, parsed);
    if (json) printJson(io, result.json);
    else io.stdout(`${result.lines.join("\n")}\n`);
    return exitCode.ok;
  } catch (err) {
    return fail(io, errorMessage(err));
  } finally {
    await store.close();
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof ConnectError) return err.rawMessage;
  if (err instanceof Error) return err.message;
  return String(err);
}

function usageFailure(io: CliIo, message: string): number {
  io.stderr(`wsctl admin: ${message}\nRun 'wsctl admin --help' for usage.\n`);
  return exitCode.usage;
}

function fail(io: CliIo, message: string): number {
  io.stderr(`wsctl admin: ${message}\n`);
  return exitCode.failure;
}
