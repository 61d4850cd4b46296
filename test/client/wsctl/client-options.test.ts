import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { parseWholeNumber, resolveClientSettings, runClientVerb } from "../../../client/wsctl/client-options.js";
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

  it("rejects a missing server or token, a non-HTTP URL and an unknown protocol", () => {
    expect(() => resolveClientSettings({ token: "t" }, {})).toThrow(/--server URL or set WSCTL_SERVER/);
    expect(() => resolveClientSettings({ server: "http://x" }, {})).toThrow(/--token TOKEN or set WSCTL_TOKEN/);
    expect(() => resolveClientSettings({ server: "localhost:8080", token: "t" }, {})).toThrow(UsageError);
    expect(() => resolveClientSettings({ server: "not a url", token: "t" }, {})).toThrow(/is not a URL/);
    expect(() => resolveClientSettings({ server: "http://x", token: "t", protocol: "rest" }, {})).toThrow(
      /connect, grpc, grpc-web/,
    );
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
