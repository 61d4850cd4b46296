import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { isAboveCeiling, resolvePermissionPolicy } from "../../../server/launch/resolve-permission-policy.js";
import { defaultWorkspacePermissions, type WorkspaceRecord, type WorkspacePermissions } from "../../../server/store/store.js";
import { PERMISSION_MODES } from "../../../server/validation/field-rules.js";

const workspace = (permissions: Partial<WorkspacePermissions> = {}): WorkspaceRecord => ({
  workspaceId: "acme",
  defaultMachineId: undefined,
  permissions: { ...defaultWorkspacePermissions, ...permissions },
  createdAt: 1,
});

describe("isAboveCeiling", () => {
  it("orders the modes plan < default < accept_edits < bypass_permissions", () => {
    for (const [i, mode] of PERMISSION_MODES.entries()) {
      for (const [j, ceiling] of PERMISSION_MODES.entries()) expect(isAboveCeiling(mode, ceiling), `${mode} vs ${ceiling}`).toBe(i > j);
    }
  });
});

describe("resolvePermissionPolicy", () => {
  it("takes the workspace's default mode, timeout and default decision when the launch names no mode", () => {
    const policy = resolvePermissionPolicy(workspace(), undefined);
    expect(policy.mode).toBe("default");
    expect(policy.defaultDecision).toBe("deny");
    expect(policy.approvalTimeout).toMatchObject({ seconds: 600n, nanos: 0 });
  });

  it("takes the launch's mode when it is within the ceiling", () => {
    const policy = resolvePermissionPolicy(workspace({ ceiling: "accept_edits", approvalTimeoutMs: 1_500, defaultDecision: "allow" }), "plan");
    expect(policy).toMatchObject({ mode: "plan", defaultDecision: "allow", approvalTimeout: { seconds: 1n, nanos: 500_000_000 } });
    expect(resolvePermissionPolicy(workspace({ ceiling: "accept_edits" }), "accept_edits").mode).toBe("accept_edits");
  });

  it("refuses a mode above the ceiling with permission_denied naming the ceiling", () => {
    let error: unknown;
    try {
      resolvePermissionPolicy(workspace({ ceiling: "default" }), "bypass_permissions");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.PermissionDenied);
    expect((error as ConnectError).rawMessage).toBe("workspace acme does not allow permission mode bypass_permissions: its ceiling is default");
  });

  it("refuses a default mode above the ceiling, saying it is the default", () => {
    expect(() => resolvePermissionPolicy(workspace({ defaultMode: "accept_edits", ceiling: "plan" }), undefined)).toThrow(
      "does not allow its default permission mode accept_edits: its ceiling is plan",
    );
  });
});
