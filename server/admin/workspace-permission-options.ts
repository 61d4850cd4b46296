import { Code, ConnectError } from "@connectrpc/connect";
import type { PermissionDecisionName, PermissionModeName, WorkspacePermissions } from "../store/store.js";
import { isAboveCeiling } from "../launch/resolve-permission-policy.js";
import { PERMISSION_DECISIONS, PERMISSION_MODES } from "../validation/field-rules.js";

export { PERMISSION_DECISIONS, PERMISSION_MODES };

/** A workspace's permission settings as `wsctl admin` flags give them (text, each optional). */
export interface WorkspacePermissionFlags {
  /** `--permission-mode`: the default mode of a launch that names none. */
  permissionMode?: string | undefined;
  /** `--permission-ceiling`: the least restricted mode a launch may ask for. */
  permissionCeiling?: string | undefined;
  /** `--approval-timeout`: how long a request waits, e.g. `90s`, `10m`, `1h30m`. */
  approvalTimeout?: string | undefined;
  /** `--approval-default`: `allow` or `deny`, for a request nobody answered in time. */
  approvalDefault?: string | undefined;
}

/** Shortest and longest approval timeout an admin may set. */
const minTimeoutMs = 1_000;
const maxTimeoutMs = 7 * 24 * 60 * 60 * 1000;
const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const durationPattern = /^(?:\d+(?:ms|s|m|h|d))+$/;

/** Milliseconds of a duration such as `90s`, `10m`, `1h30m` or `500ms`; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!durationPattern.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(amount) * unitMs[unit!]!;
  return total;
}

/** A duration as `parseDuration` reads it back: `10m`, `1h30m`, `90s`, `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms % 1_000 !== 0) return `${ms}ms`;
  let rest = ms / 1_000;
  let text = "";
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]] as const) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text || "0s";
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConnectError(`invalid ${flag} ${JSON.stringify(value)}: use ${allowed.join(", ")}`, Code.InvalidArgument);
}

/**
 * The settings the flags name, checked: `invalid_argument` naming the flag
 * and its allowed values (a timeout between 1 s and 7 days). Absent flags
 * are absent from the result.
 */
export function parsePermissionFlags(flags: WorkspacePermissionFlags): Partial<WorkspacePermissions> {
  const parsed: Partial<WorkspacePermissions> = {};
  if (flags.permissionMode !== undefined) parsed.defaultMode = oneOf<PermissionModeName>("--permission-mode", flags.permissionMode, PERMISSION_MODES);
  if (flags.permissionCeiling !== undefined) {
    parsed.ceiling = oneOf<PermissionModeName>("--permission-ceiling", flags.permissionCeiling, PERMISSION_MODES);
  }
  if (flags.approvalTimeout !== undefined) {
    const ms = parseDuration(flags.approvalTimeout);
    if (ms === undefined || ms < minTimeoutMs || ms > maxTimeoutMs) {
      throw new ConnectError(
        `invalid --approval-timeout ${JSON.stringify(flags.approvalTimeout)}: use a duration from 1s to 7d, such as 90s, 10m or 1h30m`,
        Code.InvalidArgument,
      );
    }
    parsed.approvalTimeoutMs = ms;
  }
  if (flags.approvalDefault !== undefined) {
    parsed.defaultDecision = oneOf<PermissionDecisionName>("--approval-default", flags.approvalDefault, PERMISSION_DECISIONS);
  }
  return parsed;
}

/** Throws `invalid_argument` when the default mode is above the ceiling: every launch without a mode would be refused. */
export function checkPermissionOrder(workspaceId: string, permissions: WorkspacePermissions): void {
  if (!isAboveCeiling(permissions.defaultMode, permissions.ceiling)) return;
  throw new ConnectError(
    `workspace ${workspaceId}: the default permission mode ${permissions.defaultMode} is above the ceiling ${permissions.ceiling}; lower the mode or raise the ceiling`,
    Code.InvalidArgument,
  );
}
