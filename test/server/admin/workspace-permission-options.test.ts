import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { checkPermissionOrder, formatDuration, parseDuration, parsePermissionFlags } from "../../../server/admin/workspace-permission-options.js";
import { defaultWorkspacePermissions } from "../../../server/store/store.js";

describe("parseDuration", () => {
  it("reads units and their sums, and nothing else", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("2d")).toBe(172_800_000);
    for (const bad of ["", "10", "m", "1.5h", "-1s", "1 h", "10x"]) expect(parseDuration(bad), bad).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it("writes what parseDuration reads back", () => {
    for (const ms of [1_000, 90_000, 600_000, 5_400_000, 1_500, 90_061_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect(formatDuration(600_000)).toBe("10m");
    expect(formatDuration(90_000)).toBe("1m30s");
  });
});

describe("parsePermissionFlags", () => {
  it("gives only the settings the flags name", () => {
    expect(parsePermissionFlags({})).toEqual({});
    expect(parsePermissionFlags({ permissionMode: "plan", permissionCeiling: "accept_edits", approvalTimeout: "5m", approvalDefault: "allow" })).toEqual({
      defaultMode: "plan",
      ceiling: "accept_edits",
      approvalTimeoutMs: 300_000,
      defaultDecision: "allow",
    });
  });

  it("refuses a bad value with invalid_argument naming the flag and the allowed values", () => {
    const message = (flags: Parameters<typeof parsePermissionFlags>[0]) => {
      try {
        parsePermissionFlags(flags);
        return "";
      } catch (error) {
        expect((error as ConnectError).code).toBe(Code.InvalidArgument);
        return (error as ConnectError).rawMessage;
      }
    };
    expect(message({ permissionCeiling: "all" })).toBe('invalid --permission-ceiling "all": use plan, default, accept_edits, bypass_permissions');
    expect(message({ approvalDefault: "ask" })).toBe('invalid --approval-default "ask": use allow, deny');
    expect(message({ approvalTimeout: "500ms" })).toContain("from 1s to 7d");
    expect(message({ approvalTimeout: "8d" })).toContain("from 1s to 7d");
  });
});

describe("checkPermissionOrder", () => {
  it("passes a default within the ceiling and refuses one above it", () => {
    checkPermissionOrder("acme", defaultWorkspacePermissions);
    checkPermissionOrder("acme", { ...defaultWorkspacePermissions, defaultMode: "plan", ceiling: "plan" });
    expect(() => checkPermissionOrder("acme", { ...defaultWorkspacePermissions, ceiling: "plan" })).toThrow(ConnectError);
  });
});
