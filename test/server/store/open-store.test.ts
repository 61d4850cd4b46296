import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../../server/store/open-store.js";

describe("openStore", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wsctl-open-store-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens a migrated SQLite store at a file path, creating its directory", async () => {
    const path = join(dir, "data", "wsctl.db");
    const store = await openStore(path);
    try {
      expect(existsSync(path)).toBe(true);
      await store.createWorkspace("ws-1", 1);
      expect(await store.listWorkspaces()).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it("opens an in-memory store for :memory:", async () => {
    const store = await openStore(":memory:");
    try {
      await store.createWorkspace("ws-1", 1);
      expect((await store.getWorkspace("ws-1"))?.workspaceId).toBe("ws-1");
    } finally {
      await store.close();
    }
  });

  it("refuses PostgreSQL URLs in this build", async () => {
    await expect(openStore("postgres://u@localhost/db")).rejects.toThrow(/PostgreSQL is not supported/);
    await expect(openStore("postgresql://u@localhost/db")).rejects.toThrow(/PostgreSQL is not supported/);
  });
});
