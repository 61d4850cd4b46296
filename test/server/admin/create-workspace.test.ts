import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { defaultWorkspacePermissions } from "../../../server/store/store.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { useMemoryStore } from "./memory-store.js";

describe("createWorkspace", () => {
  const store = useMemoryStore();

  it("creates a workspace with no default machine at the given time", async () => {
    const created = await createWorkspace(store(), "acme", { now: 1234 });
    expect(created).toEqual({ workspaceId: "acme", defaultMachineId: undefined, permissions: defaultWorkspacePermissions, createdAt: 1234 });
    expect(await store().getWorkspace("acme")).toEqual(created);
  });

  it("records the current time by default", async () => {
    const before = Date.now();
    const created = await createWorkspace(store(), "acme");
    expect(created.createdAt).toBeGreaterThanOrEqual(before);
    expect(created.createdAt).toBeLessThanOrEqual(Date.now());
  });

  it("refuses a taken id with already_exists", async () => {
    await createWorkspace(store(), "acme");
    await expectCode(createWorkspace(store(), "acme"), Code.AlreadyExists, /^workspace acme already exists$/);
  });

  it("refuses a malformed id with invalid_argument and stores nothing", async () => {
    await expectCode(createWorkspace(store(), "a b"), Code.InvalidArgument, /invalid workspace id/);
    expect(await store().listWorkspaces()).toEqual([]);
  });

  it("stores the permission settings given, the others as the defaults", async () => {
    const created = await createWorkspace(store(), "acme", { permissions: { ceiling: "default", defaultMode: "plan" } });
    expect(created.permissions).toEqual({ ...defaultWorkspacePermissions, ceiling: "default", defaultMode: "plan" });
  });

  it("refuses a default mode above the ceiling with invalid_argument and stores nothing", async () => {
    await expectCode(
      createWorkspace(store(), "acme", { permissions: { ceiling: "plan" } }),
      Code.InvalidArgument,
      /default permission mode default is above the ceiling plan/,
    );
    expect(await store().listWorkspaces()).toEqual([]);
  });
});
