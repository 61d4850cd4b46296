import type { Inventory } from "../../server/admin/list-inventory.js";
import { formatDuration } from "../../server/admin/workspace-permission-options.js";
import { formatTable } from "./cli-output.js";

function iso(time: number | undefined): string | null {
  return time === undefined ? null : new Date(time).toISOString();
}

/**
 * What `wsctl admin list` prints: the `--json` object (snake_case, times as
 * ISO strings or null, a workspace's approval timeout as a duration such as
 * `10m`) and the three tables of workspaces (with their permission settings),
 * machines and tokens.
 */
export function formatInventory(inventory: Inventory): { json: unknown; lines: string[] } {
  const json = {
    workspaces: inventory.workspaces.map((w) => ({
      workspace_id: w.workspaceId,
      default_machine_id: w.defaultMachineId ?? null,
      created_at: iso(w.createdAt),
      default_permission_mode: w.permissions.defaultMode,
      permission_ceiling: w.permissions.ceiling,
      approval_timeout: formatDuration(w.permissions.approvalTimeoutMs),
      approval_default_decision: w.permissions.defaultDecision,
    })),
    machines: inventory.machines.map((m) => ({
      machine_id: m.machineId,
      workspace_id: m.workspaceId,
      default: m.isDefault,
      hostname: m.hostname,
      daemon_version: m.daemonVersion,
      last_seen_at: iso(m.lastSeenAt),
    })),
    tokens: inventory.tokens.map((t) => ({
      token_id: t.tokenId,
      kind: t.kind,
      workspace_ids: t.workspaceIds,
      machine_id: t.machineId ?? null,
      scopes: t.scopes,
      label: t.label,
      created_at: iso(t.createdAt),
      revoked_at: iso(t.revokedAt),
    })),
  };
  const lines = [
    ...formatTable([
      ["WORKSPACE", "DEFAULT MACHINE", "CREATED", "PERMISSION MODE", "CEILING", "APPROVAL TIMEOUT", "THEN"],
      ...json.workspaces.map((w) => [
        w.workspace_id,
        w.default_machine_id ?? "-",
        w.created_at ?? "-",
        w.default_permission_mode,
        w.permission_ceiling,
        w.approval_timeout,
        w.approval_default_decision,
      ]),
    ]),
    "",
    ...formatTable([
      ["MACHINE", "WORKSPACE", "DEFAULT", "LAST SEEN"],
      ...json.machines.map((m) => [m.machine_id, m.workspace_id, m.default ? "yes" : "no", m.last_seen_at ?? "never"]),
    ]),
    "",
    ...formatTable([
      ["TOKEN", "KIND", "FOR", "SCOPES", "STATE"],
      ...json.tokens.map((t) => [
        t.token_id,
        t.kind,
        t.machine_id ?? t.workspace_ids.join(","),
        t.scopes.join(",") || "-",
        t.revoked_at === null ? "live" : `revoked ${t.revoked_at}`,
      ]),
    ]),
  ];
  return { json, lines };
}
