import { parseArgs } from "node:util";
import { ConnectError } from "@connectrpc/connect";
import { openAdminStore, type Store } from "../../server/admin/open-admin-store.js";
import { serverDefaults } from "../../server/start-server.js";
import { type AdminArgs, type AdminVerb, adminVerbOptions, adminVerbs } from "./admin-verbs.js";
import { type CliIo, exitCode, printJson } from "./cli-output.js";
import { UsageError } from "./usage-error.js";

/** Database used when neither `--database` nor `WSCTL_DATABASE` says otherwise. */
export const defaultDatabase = serverDefaults.database;

const usage = `Usage: wsctl admin <verb> [options]

Verbs:
  create-workspace ID [PERMISSION OPTIONS]    create a workspace
  update-workspace ID PERMISSION OPTIONS      change a workspace's permission settings
  create-machine MID --workspace ID [--default]
                                              create a machine in a workspace; the first
                                              machine of a workspace becomes its default
  create-token --workspace ID [--workspace ID2 ...] [--scope S ...] [--label TEXT]
                                              create an API token for these workspaces; scopes:
                                              sessions (the default: launch and follow sessions,
                                              list machines), machines:register (register
                                              machines), admin (everything, tokens included)
  create-token --machine MID                  create a machine token for a daemon
  revoke-token TOKEN_ID_OR_TOKEN              revoke a token by its id (tok_...) or itself
  list                                        list workspaces (with their permission
                                              settings), machines and tokens

Permission options (create-workspace, update-workspace):
  --permission-mode M       mode of a launch that names none (default: default)
  --permission-ceiling M    least restricted mode a launch may ask for
                            (default: bypass_permissions, i.e. any)
  --approval-timeout D      how long a permission request waits for an answer,
                            1s to 7d, e.g. 90s, 10m, 1h30m (default: 10m)
  --approval-default allow|deny
                            decision of a request nobody answered in time
                            (default: deny)
  Modes, from the most restricted: plan, default, accept_edits, bypass_permissions.

Options (every verb):
  --database PATH|URL   SQLite file or postgres:// URL
                        (default: $WSCTL_DATABASE, else ${defaultDatabase})
  --json                print one JSON object on stdout
  -h, --help            print this help
  --version             print the version of wsctl

create-token prints the token alone on the last line; it is shown only once.
IDs are 1-64 characters: letters, digits, '.', '_' and '-', starting with a letter or digit.

Examples:
  wsctl admin create-workspace acme
  wsctl admin create-workspace acme --permission-ceiling accept_edits --approval-timeout 5m
  wsctl admin update-workspace acme --permission-mode plan --approval-default deny
  wsctl admin create-machine laptop --workspace acme
  wsctl admin create-token --workspace acme | tail -n 1 > api-token
  wsctl admin create-token --workspace acme --scope machines:register --label "laptop setup"
  wsctl admin create-token --workspace acme --scope admin | tail -n 1 > admin-token
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
  scope: { type: "string", multiple: true },
  label: { type: "string" },
  "permission-mode": { type: "string" },
  "permission-ceiling": { type: "string" },
  "approval-timeout": { type: "string" },
  "approval-default": { type: "string" },
} as const;

/**
 * `wsctl admin <verb>`: manages workspaces, machines and tokens directly in the
 * database. Returns the exit code: 0 on success, 1 when the operation failed
 * (for example "workspace w1 already exists"), 2 for a usage error.
 */
export async function runAdmin(args: string[], io: CliIo): Promise<number> {
  let verb: AdminVerb;
  let parsed: AdminArgs;
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
    const found = Object.hasOwn(adminVerbs, verbName) ? adminVerbs[verbName] : undefined;
    if (found === undefined) throw new UsageError(`unknown verb ${JSON.stringify(verbName)}`);
    verb = found;
    for (const name of adminVerbOptions) {
      if (values[name] !== undefined && !verb.options.includes(name)) {
        throw new UsageError(`${verbName} does not take --${name}`);
      }
    }
    if (positionals.length !== verb.positionals.length) {
      const expected = verb.positionals.length === 0 ? "no arguments" : verb.positionals.join(" ");
      throw new UsageError(`${verbName} takes ${expected}, got ${positionals.length} argument(s)`);
    }
    parsed = {
      positionals,
      workspaces: values.workspace ?? [],
      machine: values.machine,
      makeDefault: values.default ?? false,
      scopes: values.scope ?? [],
      label: values.label,
      permissions: {
        permissionMode: values["permission-mode"],
        permissionCeiling: values["permission-ceiling"],
        approvalTimeout: values["approval-timeout"],
        approvalDefault: values["approval-default"],
      },
    };
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
    store = await openAdminStore(database);
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
