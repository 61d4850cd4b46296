import { copyFileSync, mkdtempSync, renameSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSqliteStore } from "../../../../server/store/sqlite/create-sqlite-store.js";
import type { Store } from "../../../../server/store/store.js";
import { mountSmallTmpfs, skipWithoutTmpfs } from "../../../support/small-tmpfs.js";
import { expectCode, session } from "../store-contract-fixtures.js";
import { nextTurn } from "../../../support/next-turn.js";

let dir: string;
const opened: Store[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wsctl-sqlite-faults-"));
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(path: string): Promise<Store> {
  const store = createSqliteStore({ path });
  opened.push(store);
  await store.migrate();
  return store;
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("createSqliteStore", () => {
  it("creates the database file and its -wal and -shm files with mode 0600", async () => {
    const path = join(dir, "data", "wsctl.db");
    const store = await open(path);
    await store.createWorkspace("ws-1", 1);
    expect([mode(path), mode(`${path}-wal`), mode(`${path}-shm`)].map((m) => m.toString(8))).toEqual(["600", "600", "600"]);
    expect(mode(join(dir, "data")).toString(8)).toBe("700");
  });

  it("refuses every call as unavailable once its file is deleted, and keeps refusing after it is restored", async () => {
    const path = join(dir, "wsctl.db");
    const store = await open(path);
    await store.createWorkspace("ws-1", 1);
    await store.checkWritable();
    copyFileSync(path, join(dir, "backup.db"));
    unlinkSync(path);
    // The guard checks the file once per turn of the event loop: the next turn sees the deletion.
    await nextTurn();
    const deleted = /^database unavailable: database file deleted/;
    await expectCode(store.createWorkspace("ws-2", 2), Code.Unavailable, deleted);
    await expectCode(store.createSession(session({ sessionId: "s-1", workspaceId: "ws-1", machineId: "m" })), Code.Unavailable, deleted);
    await expectCode(store.getWorkspace("ws-1"), Code.Unavailable, deleted);
    await expectCode(store.checkWritable(), Code.Unavailable, deleted);
    // Put back, the file is another inode: the writes since would be lost, so the fault stays until restart.
    renameSync(join(dir, "backup.db"), path);
    await expectCode(store.listWorkspaces(), Code.Unavailable, deleted);
    const restarted = await open(path);
    expect((await restarted.listWorkspaces()).map((w) => w.workspaceId)).toEqual(["ws-1"]);
  });

  it("refuses every call as unavailable once its file is replaced by another", async () => {
    const path = join(dir, "wsctl.db");
    const store = await open(path);
    await store.createWorkspace("ws-1", 1);
    const other = await open(join(dir, "other.db"));
    await other.createWorkspace("ws-other", 1);
    await other.close();
    renameSync(join(dir, "other.db"), path);
    await nextTurn();
    const replaced = /^database unavailable: database file replaced/;
    await expectCode(store.createWorkspace("ws-2", 2), Code.Unavailable, replaced);
    await expectCode(store.getWorkspace("ws-1"), Code.Unavailable, replaced);
    await expectCode(store.checkWritable(), Code.Unavailable, replaced);
  });
});

const tmpfs = await mountSmallTmpfs(4 * 1024 * 1024);
afterAll(async () => {
  if (typeof tmpfs !== "string") await tmpfs.unmount();
});

describe.skipIf(skipWithoutTmpfs("createSqliteStore on a full disk", tmpfs))("createSqliteStore on a full disk", () => {
  it("answers unavailable (disk full) while the disk is full, loses nothing it acknowledged, and writes again once space is freed", async () => {
    if (typeof tmpfs === "string") throw new Error(tmpfs);
    const path = join(tmpfs.dir, "wsctl.db");
    const store = await open(path);
    await store.createWorkspace("ws-1", 1);
    await store.createMachine({ machineId: "m", workspaceId: "ws-1", makeDefault: true, now: 1 });
    expect(await tmpfs.fill()).toBeGreaterThan(0);
    try {
      const full = /^database unavailable: disk full$/;
      // A big write needs new pages at once; the small probe must fail too, or readiness would lie.
      const big = session({ sessionId: "s-big", workspaceId: "ws-1", machineId: "m", initialPrompt: "x".repeat(256 * 1024) });
      await expectCode(store.createSession(big), Code.Unavailable, full);
      await expectCode(store.checkWritable(), Code.Unavailable, full);
      expect(await store.getSessionById("s-big")).toBeUndefined();
      expect(await store.getWorkspace("ws-1")).toBeDefined();
    } finally {
      await tmpfs.free();
    }
    await store.checkWritable();
    await store.createWorkspace("ws-2", 2);
    await store.close();
    const reopened = await open(path);
    expect((await reopened.listWorkspaces()).map((w) => w.workspaceId)).toEqual(["ws-1", "ws-2"]);
  });
});
