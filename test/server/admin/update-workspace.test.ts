import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { updateWorkspace } from "../../../server/admin/update-workspace.js";
import { defaultWorkspacePermissions } from "../../../server/store/store.js";
import { expectCode } from "../store/store-contract-fixtures.js";
import { useMemoryStore } from "./memory-store.js";

describe("updateWorkspace", () => {
  const store = useMemoryStore();

  it("changes the settings given and keeps the others", async () => {
    await createWorkspace(store(), "acme", { permissions: { approvalTimeoutMs: 5_000 } });
    const updated = await updateWorkspace(store(), "acme", { ceiling: "accept_edits", defaultDecision: "allow" });
    expect(updated.permissions).toEqual({ ...defaultWorkspacePermissions, approvalTimeoutMs: 5_000, ceiling: "accept_edits", defaultDecision: "allow" });
    expect((await store().getWorkspace("acme"))?.permissions).toEqual(updated.permissions);
  });

  it("refuses a ceiling below the stored default mode, changing nothing", async () => {
    await createWorkspace(store(), "acme");
    await expectCode(updateWorkspace(store(), "acme", { ceiling: "plan" }), Code.InvalidArgument, /above the ceiling plan/);
    expect((await store().getWorkspace("acme"))?.permissions).toEqual(defaultWorkspacePermissions);
  });

  it("answers not_found for a workspace that does not exist", async () => {
    await expectCode(updateWorkspace(store(), "ghost", { ceiling: "plan" }), Code.NotFound, /^workspace ghost not found$/);
  });
});
