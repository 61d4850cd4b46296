import { ConnectError } from "@connectrpc/connect";
import { idProblem } from "../../server/admin/check-id.js";
import { createApiToken, isTokenScope, tokenScopes } from "../../server/admin/create-api-token.js";
import { createMachine } from "../../server/admin/create-machine.js";
import { createMachineToken } from "../../server/admin/create-machine-token.js";
import { createWorkspace } from "../../server/admin/create-workspace.js";
import { updateWorkspace } from "../../server/admin/update-workspace.js";
import {
  formatDuration,
  parsePermissionFlags,
  type WorkspacePermissionFlags,
} from "../../server/admin/workspace-permission-options.js";
import { listInventory } from "../../server/admin/list-inventory.js";
import type { Store, WorkspacePermissions, WorkspaceRecord } from "../../server/admin/open-admin-store.js";
import { isTokenReference, revokeToken } from "../../server/admin/revoke-token.js";
import { formatInventory } from "./format-inventory.js";
import { UsageError } from "./usage-error.js";

/** The options a verb may take besides --database, --json and --help. */
export const adminVerbOptions = [
  "workspace",
  "machine",
  "default",
  "scope",
  "label",
  "permission-mode",
  "permission-ceiling",
  "approval-timeout",
  "approval-default",
] as const;
export type AdminVerbOption = (typeof adminVerbOptions)[number];

/** The workspace permission flags, as create-workspace and update-workspace take them. */
const permissionOptions = ["permission-mode", "permission-ceiling", "approval-timeout", "approval-default"] as const;

/** A verb's arguments, as parsed from the command line. */
export interface AdminArgs {
  positionals: string[];
  workspaces: string[];
  machine: string | undefined;
  makeDefault: boolean;
  /** `--scope`, repeatable: an API token's scopes. */
  scopes: string[];
  label: string | undefined;
  /** `--permission-mode`, `--permission-ceiling`, `--approval-timeout`, `--approval-default`. */
  permissions: WorkspacePermissionFlags;
}

/** One `wsctl admin` verb: how it is called, and what it does over the store. */
export interface AdminVerb {
  /** Positional argument names, in order; each is required. */
  positionals: readonly string[];
  /** Options besides --database, --json and --help. */
  options: readonly AdminVerbOption[];
  /** Checks the arguments before the database is opened; throws UsageError. */
  check(args: AdminArgs): void;
  /** Runs the verb; what it prints with `--json` and without. Throws ConnectError. */
  run(store: Store, args: AdminArgs): Promise<{ json: unknown; lines: string[] }>;
}

function checkId(what: string, value: string): void {
  const problem = idProblem(what, value);
  if (problem !== undefined) throw new UsageError(problem);
}

/** The permission flags parsed; a bad one is a usage error. */
function permissionsOf(flags: WorkspacePermissionFlags): Partial<WorkspacePermissions> {
  try {
    return parsePermissionFlags(flags);
  } catch (error) {
    throw new UsageError(error instanceof ConnectError ? error.rawMessage : String(error));
  }
}

/** What create-workspace and update-workspace print of a workspace. */
function workspaceResult(verb: string, workspace: WorkspaceRecord): { json: unknown; lines: string[] } {
  const p = workspace.permissions;
  const settings = {
    default_permission_mode: p.defaultMode,
    permission_ceiling: p.ceiling,
    approval_timeout: formatDuration(p.approvalTimeoutMs),
    approval_default_decision: p.defaultDecision,
  };
  const summary = `mode ${p.defaultMode}, ceiling ${p.ceiling}, approval timeout ${settings.approval_timeout}, then ${p.defaultDecision}`;
  return { json: { workspace_id: workspace.workspaceId, ...settings }, lines: [`${verb} workspace ${workspace.workspaceId} (${summary})`] };
}

/** The verbs of `wsctl admin`, by name. Each is a call to one function of `server/admin/`. */
export const adminVerbs: Readonly<Record<string, AdminVerb>> = {
  "create-workspace": {
    positionals: ["ID"],
    options: permissionOptions,
    check({ positionals: [raw = ""], permissions }) {
      checkId("workspace", raw);
      permissionsOf(permissions);
    },
    async run(store, { positionals: [workspaceId = ""], permissions }) {
      const parsed = permissionsOf(permissions);
      const workspace = await createWorkspace(store, workspaceId, { permissions: parsed });
      // Without permission flags the seed's output: just the id.
      if (Object.keys(parsed).length === 0) return { json: { workspace_id: workspaceId }, lines: [`created workspace ${workspaceId}`] };
      return workspaceResult("created", workspace);
    },
  },

  "update-workspace": {
    positionals: ["ID"],
    options: permissionOptions,
    check({ positionals: [raw = ""], permissions }) {
      checkId("workspace", raw);
      if (Object.keys(permissionsOf(permissions)).length === 0) {
        throw new UsageError("update-workspace needs at least one of --permission-mode, --permission-ceiling, --approval-timeout, --approval-default");
      }
    },
    async run(store, { positionals: [workspaceId = ""], permissions }) {
      return workspaceResult("updated", await updateWorkspace(store, workspaceId, permissionsOf(permissions)));
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
    async run(store, { positionals: [machineId = ""], workspaces: [workspaceId = ""], makeDefault }) {
      const { isDefault } = await createMachine(store, { machineId, workspaceId, makeDefault });
      return {
        json: { machine_id: machineId, workspace_id: workspaceId, is_default: isDefault },
        lines: [`created machine ${machineId} in workspace ${workspaceId}${isDefault ? " (default)" : ""}`],
      };
    },
  },

  "create-token": {
    positionals: [],
    options: ["workspace", "machine", "scope", "label"],
    check({ workspaces, machine, scopes, label }) {
      if ((workspaces.length > 0) === (machine !== undefined)) {
        throw new UsageError("create-token needs either --workspace ID (one or more) or --machine MID");
      }
      if (machine !== undefined) checkId("machine", machine);
      if (machine !== undefined && (scopes.length > 0 || label !== undefined)) {
        throw new UsageError("--scope and --label are for API tokens (--workspace), not machine tokens");
      }
      for (const w of workspaces) checkId("workspace", w);
      const unknown = scopes.find((scope) => !isTokenScope(scope));
      if (unknown !== undefined) throw new UsageError(`unknown scope ${JSON.stringify(unknown)}: use ${tokenScopes.join(", ")}`);
    },
    async run(store, { workspaces, machine, scopes, label }) {
      const issued =
        machine !== undefined
          ? await createMachineToken(store, { machineId: machine })
          : await createApiToken(store, { workspaceIds: workspaces, scopes, ...(label !== undefined ? { label } : {}) });
      const { token, tokenId, kind, workspaceIds, machineId } = issued;
      const scope = machineId !== undefined ? `machine ${machineId}` : `workspace${workspaceIds.length > 1 ? "s" : ""} ${workspaceIds.join(", ")}`;
      const json: Record<string, unknown> = { token_id: tokenId, token, kind, workspace_ids: workspaceIds };
      if (machineId !== undefined) json.machine_id = machineId;
      else json.scopes = issued.scopes;
      const scopeNote = machineId !== undefined ? "" : ` (scopes: ${issued.scopes.join(", ")})`;
      return {
        json,
        lines: [`created ${kind === "api" ? "API" : "machine"} token ${tokenId} for ${scope}${scopeNote}; it is shown only once:`, token],
      };
    },
  },

  "revoke-token": {
    positionals: ["TOKEN_ID_OR_TOKEN"],
    options: [],
    check({ positionals: [raw = ""] }) {
      if (!isTokenReference(raw)) {
        throw new UsageError("revoke-token needs a token id (tok_...) or a token (wsa_... or wsm_...)");
      }
    },
    async run(store, { positionals: [raw = ""] }) {
      const tokenId = await revokeToken(store, raw);
      return { json: { token_id: tokenId, revoked: true }, lines: [`revoked token ${tokenId}`] };
    },
  },

  list: {
    positionals: [],
    options: [],
    check() {},
    async run(store) {
      return formatInventory(await listInventory(store));
    },
  },
};
