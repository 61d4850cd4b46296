import { Code, ConnectError } from "@connectrpc/connect";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientFromOptions, parseWholeNumber, resolveClientSettings, runClientVerb } from "../../../client/wsctl/client-options.js";
import type { DevCredentials } from "../../../client/wsctl/dev-credentials.js";
import { UsageError } from "../../../client/wsctl/usage-error.js";
import { runCli } from "../fake-workspace-server.js";

describe("resolveClientSettings", () => {
  it("takes the flags first, then WSCTL_SERVER, WSCTL_TOKEN and WSCTL_PROTOCOL", () => {
    const env = { WSCTL_SERVER: "http://env:1", WSCTL_TOKEN: "envtok", WSCTL_PROTOCOL: "grpc-web" };
    expect(resolveClientSettings({}, env)).toEqual({ baseUrl: "http://env:1", token: "envtok", protocol: "grpc-web" });
    expect(resolveClientSettings({ server: "https://flag", token: "flagtok", protocol: "grpc" }, env)).toEqual({
      baseUrl: "https://flag",
      token: "flagtok",
      protocol: "grpc",
    });
    expect(resolveClientSettings({ server: "http://x", token: "t" }, {}).protocol).toBe("connect");
  });

  it("rejects a missing token, a non-HTTP URL and an unknown protocol", () => {
    expect(() => resolveClientSettings({ server: "http://x" }, {})).toThrow(/--token TOKEN or set WSCTL_TOKEN/);
    expect(() => resolveClientSettings({ server: "localhost:8080", token: "t" }, {})).toThrow(UsageError);
    expect(() => resolveClientSettings({ server: "not a url", token: "t" }, {})).toThrow(/is not a URL/);
    expect(() => resolveClientSettings({ server: "http://x", token: "t", protocol: "rest" }, {})).toThrow(
      /connect, grpc, grpc-web/,
    );
  });
});

describe("resolveClientSettings in dev mode", () => {
  const dev: DevCredentials = {
    workspace_id: "default",
    machine_id: "local",
    api_token: "wsa_dev",
    machine_token: "wsm_dev",
    server_url: "http://127.0.0.1:43210",
  };

  it("defaults to the dev server, 127.0.0.1:8080 when no credentials name one", () => {
    expect(resolveClientSettings({ token: "t" }, {}).baseUrl).toBe("http://127.0.0.1:8080");
    expect(resolveClientSettings({ token: "t" }, {}, { ...dev, server_url: undefined }).baseUrl).toBe("http://127.0.0.1:8080");
    expect(resolveClientSettings({}, {}, dev).baseUrl).toBe("http://127.0.0.1:43210");
    expect(resolveClientSettings({}, { WSCTL_SERVER: "http://env:1" }, dev).baseUrl).toBe("http://env:1");
  });

  it("takes the credentials' token and workspace when no token is given", () => {
    expect(resolveClientSettings({}, {}, dev)).toEqual({
      baseUrl: "http://127.0.0.1:43210",
      token: "wsa_dev",
      protocol: "connect",
      defaultWorkspace: "default",
    });
  });

  it("never pairs a given token with the credentials' workspace", () => {
    expect(resolveClientSettings({ token: "wsa_mine" }, {}, dev)).toEqual({ baseUrl: "http://127.0.0.1:43210", token: "wsa_mine", protocol: "connect" });
    expect(resolveClientSettings({}, { WSCTL_TOKEN: "wsa_env" }, dev).defaultWorkspace).toBeUndefined();
  });
});

describe("clientFromOptions", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wsctl-client-options-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = async (text: string) => {
    await mkdir(path.join(dir, "data"), { recursive: true });
    await writeFile(path.join(dir, "data/credentials.json"), text);
  };

  it("reads data/credentials.json under the working directory for the workspace, and --workspace wins", async () => {
    await write(JSON.stringify({ workspace_id: "default", machine_id: "local", api_token: "wsa_dev", machine_token: "wsm_dev" }));
    expect(clientFromOptions({}, { env: {}, cwd: dir }).workspaceId).toBe("default");
    expect(clientFromOptions({ workspace: "acme" }, { env: {}, cwd: dir }).workspaceId).toBe("acme");
    expect(clientFromOptions({ token: "t", server: "http://x" }, { env: {}, cwd: dir }).workspaceId).toBeUndefined();
  });

  it("says so when there is no token and no credentials file, or the file is not one", async () => {
    expect(() => clientFromOptions({}, { env: {}, cwd: dir })).toThrow(/no token: .*data\/credentials\.json/);
    await write("{not json");
    expect(() => clientFromOptions({}, { env: {}, cwd: dir })).toThrow(/credentials\.json is not the credentials file wsctl serve --dev writes/);
    // Not read at all when the flags give everything it stands in for.
    expect(clientFromOptions({ token: "t", server: "http://x" }, { env: {}, cwd: dir }).workspaceId).toBeUndefined();
  });
});

describe("parseWholeNumber", () => {
  it("accepts whole numbers in range and rejects anything else", () => {
    expect(parseWholeNumber("--limit", "50", 1, 500)).toBe(50);
    for (const bad of ["0", "501", "-1", "1.5", "ten", ""]) {
      expect(() => parseWholeNumber("--limit", bad, 1, 500)).toThrow(/--limit must be a whole number from 1 to 500/);
    }
  });
});

describe("runClientVerb", () => {
  const verb = (body: () => Promise<number>) => (_args: string[], io: Parameters<typeof runClientVerb>[1]) =>
    runClientVerb("demo", io, body);

  it("passes the body's exit status through", async () => {
    expect((await runCli(verb(async () => 0), [])).code).toBe(0);
  });

  it("prints a usage error with a hint and exits 2", async () => {
    const run = await runCli(verb(async () => Promise.reject(new UsageError("--workspace W is required"))), []);
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr: 'wsctl demo: --workspace W is required\nRun "wsctl demo --help" for usage.\n',
    });
  });

  it("prints a failed call as one line with its code and exits 1", async () => {
    const run = await runCli(verb(async () => Promise.reject(new ConnectError("session s9 not found", Code.NotFound))), []);
    expect(run).toEqual({ code: 1, stdout: "", stderr: "wsctl demo: not_found: session s9 not found\n" });
  });

  it("exits 130 without a message when the signal aborted the call", async () => {
    const controller = new AbortController();
    controller.abort();
    const run = await runCli(verb(async () => Promise.reject(new ConnectError("aborted", Code.Canceled))), [], {
      signal: controller.signal,
    });
    expect(run).toEqual({ code: 130, stdout: "", stderr: "" });
  });

  it("clears the progress line before printing the error", async () => {
    const run = await runCli(
      (_args, io) =>
        runClientVerb("demo", io, async (progress) => {
          progress.update("working");
          throw new ConnectError("down", Code.Unavailable);
        }),
      [],
      { isTTY: true },
    );
    expect(run.stderr.replaceAll("\x1b[K", "⟨EL⟩")).toMatch(/working⟨EL⟩\r⟨EL⟩wsctl demo: unavailable: down\n$/);
  });
});
