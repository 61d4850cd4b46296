import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../../server/store/open-store.js";
import { createTestSchema, findTestPostgres } from "../../support/postgres-test-database.js";

const postgres = await findTestPostgres("openStore on PostgreSQL");

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

  it.skipIf(postgres.skip)("opens a migrated PostgreSQL store for postgres:// and postgresql:// URLs", async () => {
    const db = await createTestSchema("open_store", { create: false });
    try {
      for (const url of [db.url, db.url.replace(/^postgres:/, "postgresql:")]) {
        const store = await openStore(url);
        try {
          if (url === db.url) await store.createWorkspace("ws-1", 1);
          expect((await store.getWorkspace("ws-1"))?.createdAt).toBe(1);
        } finally {
          await store.close();
        }
      }
    } finally {
      await db.drop();
    }
  });

  it("fails with unavailable when PostgreSQL cannot be reached, and with invalid_argument for a bad URL", async () => {
    await expect(openStore("postgres://postgres:hunter2@127.0.0.1:1/db")).rejects.toMatchObject({
      code: Code.Unavailable,
      rawMessage: "database is unavailable, try again",
    });
    await expect(openStore("postgresql://h/db?pool_size=lots")).rejects.toMatchObject({ code: Code.InvalidArgument });
  });
});
