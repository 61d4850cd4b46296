import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isTokenLive } from "../../../server/admin/is-token-live.js";
import { openAdminStore, type Store } from "../../../server/admin/open-admin-store.js";
import { revokeToken } from "../../../server/admin/revoke-token.js";
import { credentialsPath, ensureDevCredentials } from "../../../client/wsctl/dev-mode.js";

describe("ensureDevCredentials", () => {
  let dir: string;
  let file: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wsctl-dev-"));
    file = path.join(dir, "data", "credentials.json");
    store = await openAdminStore(":memory:");
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("creates workspace default, machine local as its default and two live tokens, written with mode 0600", async () => {
    const credentials = await ensureDevCredentials(store, file);
    expect(credentials).toMatchObject({ workspace_id: "default", machine_id: "local" });
    expect(credentials.api_token).toMatch(/^wsa_/);
    expect(credentials.machine_token).toMatch(/^wsm_/);
    expect((await store.getWorkspace("default"))?.defaultMachineId).toBe("local");
    expect(await isTokenLive(store, credentials.api_token)).toBe(true);
    expect(await isTokenLive(store, credentials.machine_token)).toBe(true);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(credentials);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("reuses the tokens the file holds while they work, and replaces only a revoked one", async () => {
    const first = await ensureDevCredentials(store, file);
    const again = await ensureDevCredentials(store, file);
    expect(again).toEqual(first);
    expect(await store.listTokens()).toHaveLength(2);

    await revokeToken(store, first.api_token);
    const third = await ensureDevCredentials(store, file);
    expect(third.api_token).not.toBe(first.api_token);
    expect(third.machine_token).toBe(first.machine_token);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(third);
  });
});

describe("credentialsPath", () => {
  it("puts credentials.json beside a SQLite file, in ./data otherwise", () => {
    expect(credentialsPath("/var/lib/wsctl/wsctl.db")).toBe(path.join("/var/lib/wsctl", "credentials.json"));
    expect(credentialsPath(":memory:")).toBe(path.join("data", "credentials.json"));
    expect(credentialsPath("postgres://u@h/db")).toBe(path.join("data", "credentials.json"));
  });
});
