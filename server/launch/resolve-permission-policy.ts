import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { type PermissionPolicy, PermissionPolicySchema } from "../../gen/workspaces/v1/permission_pb.js";
import type { WorkspaceRecord } from "../store/store.js";
import { PERMISSION_MODES, type PermissionMode } from "../validation/field-rules.js";

/** Whether `mode` is past `ceiling` in the order plan < default < accept_edits < bypass_permissions. */
export function isAboveCeiling(mode: PermissionMode, ceiling: PermissionMode): boolean {
  return PERMISSION_MODES.indexOf(mode) > PERMISSION_MODES.indexOf(ceiling);
}

/**
 * The permission policy of a launch in `workspace`: the mode asked for (an
 * already validated `session_settings.code.permission_mode`), else the
 * workspace's default, with the workspace's approval timeout and default
 * decision. A mode past the workspace's ceiling is `permission_denied`
 * naming the ceiling, before anything is stored.
 */
export function resolvePermissionPolicy(workspace: WorkspaceRecord, requested: PermissionMode | undefined): PermissionPolicy {
  const { permissions } = workspace;
  const mode = requested ?? permissions.defaultMode;
  if (isAboveCeiling(mode, permissions.ceiling)) {
    const asked = requested === undefined ? `its default permission mode ${mode}` : `permission mode ${mode}`;
    throw new ConnectError(
      `workspace ${workspace.workspaceId} does not allow ${asked}: its ceiling is ${permissions.ceiling}`,
      Code.PermissionDenied,
    );
  }
  return create(PermissionPolicySchema, {
    mode,
    approvalTimeout: durationFromMs(permissions.approvalTimeoutMs),
    defaultDecision: permissions.defaultDecision,
  });
}
