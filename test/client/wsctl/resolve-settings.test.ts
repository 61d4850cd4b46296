import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daemonSettings } from "../../../client/wsctl/daemon-settings.js";
import { loadCommandConfig } from "../../../client/wsctl/load-command-config.js";
import { resolveSettings } from "../../../client/wsctl/resolve-settings.js";
import { serveSettings } from "../../../client/wsctl/serve-settings.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wsctl-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const resolve = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv, file?: Record<string, unknown>) =>
  resolveSettings(serveSettings, { flags, env, file, section: "serve" });

describe("resolveSettings", () => {
  it("takes flags over the environment over the file over the defaults", () => {
    const file = { listen: "0.0.0.0:1", database: "/file.db", "launch-deadline-ms": 7000, "keepalive-ms": 5 };
    const { values, sources } = resolve({ listen: "127.0.0.1:2" }, { WSCTL_LISTEN: "127.0.0.1:3", WSCTL_DATABASE: "/env.db" }, file);
    expect(values).toMatchObject({ listen: "127.0.0.1:2", database: "/env.db", "launch-deadline-ms": 7000, "keepalive-ms": 5, "close-grace-ms": 3000 });
    expect(sources).toMatchObject({ listen: "flag", database: "env", "launch-deadline-ms": "file", "close-grace-ms": "default" });
  });

  it("names every bad key as the operator wrote it", () => {
    expect(() => resolve({ listen: "nope" }, { WSCTL_KEEPALIVE_MS: "soon" }, { "launch-deadline-ms": -1, colour: "blue" })).toThrow(
      /^serve\.colour: unknown setting .*; --listen: must be HOST:PORT.*; serve\.launch-deadline-ms: must be a whole number, got -1; WSCTL_KEEPALIVE_MS: must be a whole number, got "soon"$/,
    );
  });

  it("reads workspace roots as ID=DIR flags, a comma list in the environment or an object in the file", () => {
    const daemon = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv, file?: Record<string, unknown>) =>
      resolveSettings(daemonSettings, { flags, env, file, section: "daemon" }).values["workspace-root"];
    expect(daemon({ "workspace-root": ["a=/x", "b=/y"] }, {})).toEqual({ a: "/x", b: "/y" });
    expect(daemon({}, { WSCTL_WORKSPACE_ROOTS: "a=/x,b=/y" })).toEqual({ a: "/x", b: "/y" });
    expect(daemon({}, {}, { "workspace-root": { a: "/x" } })).toEqual({ a: "/x" });
    expect(() => daemon({ "workspace-root": ["a"] }, {})).toThrow(/--workspace-root: must be NAME=VALUE, got "a"/);
  });
});

describe("loadCommandConfig", () => {
  it("reads a YAML file's section and prints the effective settings with secrets masked", async () => {
    const file = path.join(dir, "config.yaml");
    await writeFile(file, "daemon:\n  server: http://127.0.0.1:8080\n  token: wsm_secret\n  workspace-root:\n    acme: /src/acme\n");
    let out = "";
    const io = { stdout: (s: string) => (out += s), stderr: () => {}, env: {} };
    expect(await loadCommandConfig("daemon", daemonSettings, { config: file, "print-config": true }, io)).toBeUndefined();
    const printed = JSON.parse(out) as { daemon: Record<string, unknown> };
    expect(printed.daemon).toMatchObject({ server: ["http://127.0.0.1:8080"], token: "***", "workspace-root": { acme: "/src/acme" }, protocol: "grpc" });
    expect(out).not.toContain("wsm_secret");
  });

  it("masks a database URL's password", async () => {
    let out = "";
    const io = { stdout: (s: string) => (out += s), stderr: () => {}, env: { WSCTL_DATABASE: "postgres://app:hunter2@db/wsctl" } };
    await loadCommandConfig("serve", serveSettings, { "print-config": true }, io);
    expect(JSON.parse(out).serve.database).toBe("postgres://app:***@db/wsctl");
  });

  it("says which file and section are wrong", async () => {
    const file = path.join(dir, "bad.json");
    await writeFile(file, '{"serve": {"listen": 8080}, "extra": {}}');
    const io = { stdout: () => {}, stderr: () => {}, env: {} };
    await expect(loadCommandConfig("serve", serveSettings, { config: file }, io)).rejects.toThrow(`config ${file}: extra: unknown section (known: serve, daemon)`);
    await writeFile(file, '{"serve": {"listen": 8080}}');
    await expect(loadCommandConfig("serve", serveSettings, { config: file }, io)).rejects.toThrow("serve.listen: must be a non-empty string, got 8080");
    await expect(loadCommandConfig("serve", serveSettings, { config: path.join(dir, "none.json") }, io)).rejects.toThrow(/cannot read it \(no such file\)/);
  });
});
