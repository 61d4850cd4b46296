import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isTokenLive } from "../../../server/admin/is-token-live.js";
import { openAdminStore, type Store } from "../../../server/admin/open-admin-store.js";
import { revokeToken } from "../../../server/admin/revoke-token.js";
import { credentialsPath, devRoot, ensureDevCredentials } from "../../../client/wsctl/dev-mode.js";

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

describe("ensureDevCredentials with the server's address", () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wsctl-dev-"));
    store = await openAdminStore(":memory:");
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes server_url for the client verbs, and rewrites the file when the address changes", async () => {
    const file = path.join(dir, "data", "credentials.json");
    const first = await ensureDevCredentials(store, file, "http://127.0.0.1:8080");
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ ...first, server_url: "http://127.0.0.1:8080" });
    const moved = await ensureDevCredentials(store, file, "http://127.0.0.1:40001");
    expect(moved).toEqual({ ...first, server_url: "http://127.0.0.1:40001" });
    expect(JSON.parse(await readFile(file, "utf8")).server_url).toBe("http://127.0.0.1:40001");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});

describe("devRoot", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wsctl-root-"));
    await mkdir(path.join(dir, "project"));
    await writeFile(path.join(dir, "file"), "");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is the directory the command was started in: the working directory, or INIT_CWD under npm start", async () => {
    const checkout = path.join(dir, "checkout");
    expect(await devRoot(undefined, {}, dir)).toBe(dir);
    expect(await devRoot(undefined, { npm_lifecycle_event: "start", INIT_CWD: path.join(dir, "project") }, checkout)).toBe(
      path.join(dir, "project"),
    );
    // Another npm script (npm test running a suite that spawns wsctl) does not count as where it was started.
    expect(await devRoot(undefined, { npm_lifecycle_event: "test", INIT_CWD: checkout }, dir)).toBe(dir);
  });

  it("takes --root relative to where the command was started, or absolute", async () => {
    expect(await devRoot("project", {}, dir)).toBe(path.join(dir, "project"));
    expect(await devRoot("../project", { npm_lifecycle_event: "start", INIT_CWD: path.join(dir, "project") }, "/")).toBe(
      path.join(dir, "project"),
    );
    expect(await devRoot(path.join(dir, "project"), {}, "/")).toBe(path.join(dir, "project"));
  });

  it("refuses a path that is no directory", async () => {
    await expect(devRoot("missing", {}, dir)).rejects.toThrow(/--root missing: no such directory/);
    await expect(devRoot("file", {}, dir)).rejects.toThrow(/--root file: not a directory/);
  });
});

describe("credentialsPath", () => {
  it("puts credentials.json beside a SQLite file, in ./data otherwise", () => {
    expect(credentialsPath("/var/lib/wsctl/wsctl.db")).toBe(path.join("/var/lib/wsctl", "credentials.json"));
    expect(credentialsPath(":memory:")).toBe(path.join("data", "credentials.json"));
    expect(credentialsPath("postgres://u@h/db")).toBe(path.join("data", "credentials.json"));
  });
});
