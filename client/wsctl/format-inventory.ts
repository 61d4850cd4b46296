import { toJson } from "@bufbuild/protobuf";
import { TimestampSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Inventory } from "../../server/admin/list-inventory.js";
import { formatDuration } from "../../server/admin/workspace-permission-options.js";
import { formatTable } from "./cli-output.js";

/** A time as the API's JSON writes a Timestamp (RFC 3339, UTC); null when unset. */
function apiTime(time: number | undefined): string | null {
  return time === undefined ? null : (toJson(TimestampSchema, timestampFromMs(time)) as string);
}

/**
 * What `wsctl admin list` prints: the `--json` object and the three tables of
 * workspaces (with their permission settings), machines and tokens. The JSON
 * uses the API's field names (`Machine`'s `is_default`, `last_seen_time`;
 * `ApiToken`'s `create_time`, `revoke_time`) and its time format; a value the
 * store does not have is null; a workspace's approval timeout is a duration
 * such as `10m`.
 */
export function formatInventory(inventory: Inventory): { json: unknown; lines: string[] } {
  const json = {
    workspaces: inventory.workspaces.map((w) => ({
      workspace_id: w.workspaceId,
      default_machine_id: w.defaultMachineId ?? null,
      create_time: apiTime(w.createdAt),
      default_permission_mode: w.permissions.defaultMode,
      permission_ceiling: w.permissions.ceiling,
      approval_timeout: formatDuration(w.permissions.approvalTimeoutMs),
      approval_default_decision: w.permissions.defaultDecision,
    })),
    machines: inventory.machines.map((m) => ({
      machine_id: m.machineId,
      workspace_id: m.workspaceId,
      is_default: m.isDefault,
      hostname: m.hostname,
      daemon_version: m.daemonVersion,
      last_seen_time: apiTime(m.lastSeenAt),
    })),
    tokens: inventory.tokens.map((t) => ({
      token_id: t.tokenId,
      kind: t.kind,
      workspace_ids: t.workspaceIds,
      machine_id: t.machineId ?? null,
      scopes: t.scopes,
      label: t.label,
      create_time: apiTime(t.createdAt),
      revoke_time: apiTime(t.revokedAt),
    })),
  };
  const lines = [
    ...formatTable([
      ["WORKSPACE", "DEFAULT MACHINE", "CREATED", "PERMISSION MODE", "CEILING", "APPROVAL TIMEOUT", "THEN"],
      ...json.workspaces.map((w) => [
        w.workspace_id,
        w.default_machine_id ?? "-",
        w.create_time ?? "-",
        w.default_permission_mode,
        w.permission_ceiling,
        w.approval_timeout,
        w.approval_default_decision,
      ]),
    ]),
    "",
    ...formatTable([
      ["MACHINE", "WORKSPACE", "DEFAULT", "LAST SEEN"],
      ...json.machines.map((m) => [m.machine_id, m.workspace_id, m.is_default ? "yes" : "no", m.last_seen_time ?? "never"]),
    ]),
    "",
    ...formatTable([
      ["TOKEN", "KIND", "FOR", "SCOPES", "STATE"],
      ...json.tokens.map((t) => [
        t.token_id,
        t.kind,
        t.machine_id ?? t.workspace_ids.join(","),
        t.scopes.join(",") || "-",
        t.revoke_time === null ? "live" : `revoked ${t.revoke_time}`,
      ]),
    ]),
  ];
  return { json, lines };
}
