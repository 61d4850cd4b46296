import { durationMs } from "@bufbuild/protobuf/wkt";
import type { PermissionPolicy } from "../../../gen/workspaces/v1/permission_pb.js";
import { DaemonError } from "../daemon-error.js";

/** The permission modes, in ceiling order (`plan` allows least). */
export const permissionModes = ["plan", "default", "accept_edits", "bypass_permissions"] as const;
export type PermissionMode = (typeof permissionModes)[number];

/** A decision on a permission request. */
export type PermissionDecision = "allow" | "deny";

/** A session's permission policy as the daemon uses it (and keeps it in `policy.json`). */
export interface SessionPolicy {
  mode: PermissionMode;
  /** How long a request waits for an answer before the server applies `default_decision`. */
  approval_timeout_ms: number;
  default_decision: PermissionDecision;
}

/** Used when the policy leaves the timeout unset: the workspace default of the contract. */
export const defaultApprovalTimeoutMs = 10 * 60_000;

/**
 * How long after `expire_time` the daemon applies the default decision itself,
 * when the server (which decides at `expire_time`) did not.
 */
export const daemonFallbackMs = 30_000;

/**
 * How long after the daemon's own fallback the permission server gives up on
 * its own (no daemon ever answered: none runs), answering the default decision.
 */
export const permissionServerMarginMs = 30_000;

/**
 * The policy of a LaunchCommand; undefined when it has none (a server that
 * predates permissions: the agent starts as before, without permission setup).
 * An empty mode is `default`, an unset timeout 10 minutes, an empty default
 * decision `deny`. An unknown mode or decision is a DaemonError
 * `unsupported_permission_mode`: the agent is not started with a policy it
 * cannot honour.
 */
export function sessionPolicyOf(policy: PermissionPolicy | undefined): SessionPolicy | undefined {
  if (policy === undefined) return undefined;
  const mode = policy.mode === "" ? "default" : policy.mode;
  if (!isPermissionMode(mode)) {
    throw new DaemonError("unsupported_permission_mode", `permission mode "${policy.mode}" is not known to this daemon: use ${permissionModes.join(", ")}`);
  }
  const decision = policy.defaultDecision === "" ? "deny" : policy.defaultDecision;
  if (decision !== "allow" && decision !== "deny") {
    throw new DaemonError("unsupported_permission_mode", `default decision "${policy.defaultDecision}" is not known to this daemon: use allow or deny`);
  }
  const timeout = policy.approvalTimeout === undefined ? defaultApprovalTimeoutMs : durationMs(policy.approvalTimeout);
  return { mode, approval_timeout_ms: timeout > 0 ? timeout : defaultApprovalTimeoutMs, default_decision: decision };
}

export function isPermissionMode(value: string): value is PermissionMode {
  return (permissionModes as readonly string[]).includes(value);
}

/**
 * Whether requests of an agent in `mode` are relayed to the user: Claude Code
 * in `plan`, `default` and `accept_edits` (in `bypass_permissions` nothing is
 * asked; Codex's `exec` cannot relay, its mode maps to a sandbox).
 */
export function relaysRequests(provider: "claude_code" | "codex", mode: PermissionMode): boolean {
  return provider === "claude_code" && mode !== "bypass_permissions";
}

/** A policy read back from `policy.json`; undefined when the value is not one. */
export function parseSessionPolicy(value: unknown): SessionPolicy | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.mode !== "string" || !isPermissionMode(v.mode)) return undefined;
  if (typeof v.approval_timeout_ms !== "number" || !(v.approval_timeout_ms > 0)) return undefined;
  if (v.default_decision !== "allow" && v.default_decision !== "deny") return undefined;
  return { mode: v.mode, approval_timeout_ms: v.approval_timeout_ms, default_decision: v.default_decision };
}
