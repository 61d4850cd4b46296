import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { createSqliteStore } from "../../../server/store/sqlite/create-sqlite-store.js";
import type { Store } from "../../../server/store/store.js";

/**
 * Registers hooks that give each test a temporary directory, and returns an
 * `open` that creates and migrates a SQLite store in it (or at `:memory:`);
 * every store opened is closed and the directory removed after the test.
 */
export function useTempSqliteStores(): { open(path?: string): Promise<Store>; dir(): string } {
  let dir = "";
  const opened: Store[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wsctl-sqlite-store-"));
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    async open(path = join(dir, "store.db")) {
      const store = createSqliteStore({ path });
      opened.push(store);
      await store.migrate();
      return store;
    },
  };
}
