import type { JsonObject } from "@bufbuild/protobuf";

// The permission values the Store interface (store.ts) takes and returns:
// workspace permission settings, permission requests and remembered rules.
// store.ts re-exports every one of them.

/** Permission modes, from the most restricted to the least (the order a ceiling is compared in). */
export type PermissionModeName = "plan" | "default" | "accept_edits" | "bypass_permissions";
/** A decision on a permission request. */
export type PermissionDecisionName = "allow" | "deny";

/** A workspace's permission settings. */
export interface WorkspacePermissions {
  /** The mode of a launch that names none. */
  defaultMode: PermissionModeName;
  /** The least restricted mode a launch may ask for. */
  ceiling: PermissionModeName;
  /** How long a permission request waits for an answer, in ms. */
  approvalTimeoutMs: number;
  /** The decision of a request nobody answered in time. */
  defaultDecision: PermissionDecisionName;
}

/** What a workspace has until an admin says otherwise: `default` mode, everything allowed, 10 minutes, then deny. */
export const defaultWorkspacePermissions: Readonly<WorkspacePermissions> = {
  defaultMode: "default",
  ceiling: "bypass_permissions",
  approvalTimeoutMs: 10 * 60 * 1000,
  defaultDecision: "deny",
};

/**
 * One permission request of a session's agent (the PermissionRequest
 * message): created pending from a PERMISSION_REQUEST transcript entry,
 * decided once.
 */
export interface PermissionRequestRecord {
  sessionId: string;
  /** `prq_...`, unique in the session. */
  requestId: string;
  workspaceId: string;
  machineId: string;
  toolName: string;
  input: JsonObject;
  reason: string;
  toolUseId: string;
  createdAt: number;
  /** When the workspace's default decision applies. */
  expireAt: number;
  /** "" while pending. */
  decision: "" | PermissionDecisionName;
  /** A token id, `timeout`, `remembered`, or what the daemon said; "" while pending. */
  decidedBy: string;
  decidedAt: number | undefined;
  message: string;
  updatedInput: JsonObject | undefined;
  remember: boolean;
  /** The machine's daemon acknowledged the decision. */
  delivered: boolean;
}

/** A request as first stored: pending. */
export type NewPermissionRequest = Omit<
  PermissionRequestRecord,
  "decision" | "decidedBy" | "decidedAt" | "message" | "updatedInput" | "remember" | "delivered"
>;

/** A decision, as `decidePermissionRequest` writes it (only on a pending request). */
export interface PermissionDecisionWrite {
  sessionId: string;
  requestId: string;
  decision: PermissionDecisionName;
  decidedBy: string;
  message: string;
  updatedInput?: JsonObject | undefined;
  remember: boolean;
  /** Already delivered (the daemon itself reported the decision). */
  delivered: boolean;
  /** The rule stored with a winning decision, when it asked to be remembered. */
  rule?: { toolName: string; prefix: string } | undefined;
  now: number;
}

/** A rule of a session: requests of `toolName` (for Bash, whose command starts with the word `prefix`) are allowed. */
export interface PermissionRuleRecord {
  sessionId: string;
  toolName: string;
  /** "" for every call of the tool. */
  prefix: string;
  createdAt: number;
}
