import { describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../../server/admin/ensure-workspace.js";
import { defaultWorkspacePermissions } from "../../../server/store/store.js";
import { useMemoryStore } from "./memory-store.js";

describe("ensureWorkspace", () => {
  const store = useMemoryStore();

  it("creates the workspace when it is missing", async () => {
    const workspace = await ensureWorkspace(store(), "default", { now: 10 });
    expect(workspace).toEqual({ workspaceId: "default", defaultMachineId: undefined, permissions: defaultWorkspacePermissions, createdAt: 10 });
    expect(await store().listWorkspaces()).toHaveLength(1);
  });

  it("returns an existing workspace unchanged", async () => {
    await ensureWorkspace(store(), "default", { now: 10 });
    const again = await ensureWorkspace(store(), "default", { now: 20 });
    expect(again.createdAt).toBe(10);
    expect(await store().listWorkspaces()).toHaveLength(1);
  });
});
