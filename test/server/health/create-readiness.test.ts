import { mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHealthStatus } from "../../../server/health/create-health-status.js";
import { createReadiness } from "../../../server/health/create-readiness.js";
import { openStore } from "../../../server/store/open-store.js";
import type { Store } from "../../../server/store/store.js";
import { mountSmallTmpfs, skipWithoutTmpfs } from "../../support/small-tmpfs.js";
import { nextTurn } from "../../support/next-turn.js";

let dir: string;
const opened: Store[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wsctl-readiness-"));
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function readinessOn(path: string) {
  const store = await openStore(path);
  opened.push(store);
  const health = createHealthStatus();
  return { store, health, readiness: createReadiness({ store, health, cacheMs: 0, intervalMs: 0 }) };
}

describe("createReadiness", () => {
  it("reports unready, and gRPC health NOT_SERVING, once the database file is deleted, and stays so: the server must be restarted", async () => {
    const path = join(dir, "wsctl.db");
    const { readiness, health } = await readinessOn(path);
    expect(await readiness.check()).toMatchObject({ ready: true, checks: { store: "ok" } });
    unlinkSync(path);
    await nextTurn();
    const report = await readiness.check();
    expect(report.ready).toBe(false);
    expect(report.checks.store).toBe("database unavailable: database file deleted: restore it and restart the server");
    expect(health.get("")).toBe("NOT_SERVING");
    expect((await readiness.check()).ready).toBe(false);
  });
});

const tmpfs = await mountSmallTmpfs(4 * 1024 * 1024);
afterAll(async () => {
  if (typeof tmpfs !== "string") await tmpfs.unmount();
});

describe.skipIf(skipWithoutTmpfs("createReadiness on a full disk", tmpfs))("createReadiness on a full disk", () => {
  it("reports unready while the disk is full and ready again once a write succeeds", async () => {
    if (typeof tmpfs === "string") throw new Error(tmpfs);
    const { readiness, health } = await readinessOn(join(tmpfs.dir, "wsctl.db"));
    expect((await readiness.check()).ready).toBe(true);
    await tmpfs.fill();
    try {
      expect(await readiness.check()).toMatchObject({ ready: false, checks: { store: "database unavailable: disk full" } });
      expect(health.get("")).toBe("NOT_SERVING");
    } finally {
      await tmpfs.free();
    }
    expect(await readiness.check()).toMatchObject({ ready: true, checks: { store: "ok" } });
    expect(health.get("")).toBe("SERVING");
  });
});
