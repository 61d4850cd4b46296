import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { applySqliteMigrations, sqliteMigrations } from "../../../server/store/sqlite/sqlite-migrations.js";
import { useTempSqliteStores } from "./sqlite-temp-store.js";
import { session } from "./store-contract.js";

const stores = useTempSqliteStores();
const open = stores.open;
let dir = "";
beforeEach(() => {
  dir = stores.dir();
});

/** A second, plain connection to the same file, to look at what the store wrote. */
function inspect(path: string): Database.Database {
  return new Database(path, { readonly: true });
}

describe("createSqliteStore", () => {
  it("creates the file and its missing directories", async () => {
    const path = join(dir, "a", "b", "c", "wsctl.db");
    await open(path);
    expect(existsSync(path)).toBe(true);
  });

  it("puts the database in WAL mode", async () => {
    const path = join(dir, "store.db");
    const store = await open(path);
    await store.createWorkspace("ws-1", 1);
    const db = inspect(path);
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      db.close();
    }
  });

  it("enforces foreign keys", async () => {
    const store = await open();
    await expect(
      store.createMachine({ machineId: "m", workspaceId: "missing", makeDefault: false, now: 1 }),
    ).rejects.toMatchObject({ rawMessage: "machine refers to a record that does not exist" });
  });

  it("applies migrations once: migrating again is a no-op that keeps the data", async () => {
    const path = join(dir, "store.db");
    const store = await open(path);
    await store.createWorkspace("ws-1", 1);
    await store.migrate();
    await store.close();
    const again = await open(path);
    await again.migrate();
    expect((await again.getWorkspace("ws-1"))?.createdAt).toBe(1);
    const db = inspect(path);
    try {
      const versions = db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all();
      expect(versions).toEqual(sqliteMigrations.map((m) => m.version));
    } finally {
      db.close();
    }
  });

  it("gives the tokens stored before scopes existed the sessions scope (API) or none (machine)", async () => {
    const path = join(dir, "store.db");
    const db = new Database(path);
    try {
      applySqliteMigrations(db, sqliteMigrations.filter((m) => m.version < 5));
      db.exec(`INSERT INTO workspaces VALUES ('ws-1', NULL, 1);
        INSERT INTO machines (machine_id, workspace_id, created_at) VALUES ('m-1', 'ws-1', 1);
        INSERT INTO tokens VALUES ('t-api', 'api', 'aa', NULL, 1, NULL), ('t-m', 'machine', 'bb', 'm-1', 1, NULL);
        INSERT INTO token_workspaces VALUES ('t-api', 'ws-1');`);
    } finally {
      db.close();
    }
    const store = await open(path);
    expect(await store.findTokenByHash("aa")).toMatchObject({ tokenId: "t-api", scopes: ["sessions"], label: "", workspaceIds: ["ws-1"] });
    expect(await store.findTokenByHash("bb")).toMatchObject({ tokenId: "t-m", scopes: [], machineId: "m-1" });
  });

  it("keeps event sequences gapless across two connections to one file", async () => {
    const path = join(dir, "store.db");
    const a = await open(path);
    const b = await open(path);
    await a.createWorkspace("ws-1", 1);
    await a.createMachine({ machineId: "m-1", workspaceId: "ws-1", makeDefault: true, now: 1 });
    await a.createSession(session({ sessionId: "s-1" }));
    const appended = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).appendSessionEvent({
          sessionId: "s-1",
          type: "running",
          state: "running",
          machineId: "m-1",
          acknowledgement: undefined,
          exitCode: undefined,
          message: `${i}`,
          now: i,
        }),
      ),
    );
    expect(appended.map((e) => e.sequence).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await b.listSessionEvents("s-1", 0)).map((e) => e.sequence)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
  });

  it("closes idempotently", async () => {
    const store = await open();
    await store.close();
    await store.close();
  });
});
