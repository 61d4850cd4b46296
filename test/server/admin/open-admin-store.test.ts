import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { openAdminStore } from "../../../server/admin/open-admin-store.js";

describe("openAdminStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wsctl-admin-store-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("opens a migrated SQLite file, creating its directory, that keeps what was written", async () => {
    const database = path.join(dir, "nested", "wsctl.db");
    const first = await openAdminStore(database);
    await createWorkspace(first, "acme");
    await first.close();
    expect(existsSync(database)).toBe(true);
    const second = await openAdminStore(database);
    try {
      expect((await second.listWorkspaces()).map((w) => w.workspaceId)).toEqual(["acme"]);
    } finally {
      await second.close();
    }
  });

  it("rejects a database it cannot open", async () => {
    await expect(openAdminStore("postgres://u@127.0.0.1:1/db")).rejects.toThrow(/unavailable/);
  });
});
