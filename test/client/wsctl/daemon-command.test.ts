import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daemonServers, runDaemonCommand } from "../../../client/wsctl/daemon-command.js";
import { runCli } from "../fake-workspace-server.js";

let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), "wsctl-daemon-cli-"));
});

afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

/** A local URL nothing listens on: connections to it are refused. */
async function refusingUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Runs `wsctl daemon` until it has subscribed `subscriptions` times, then stops it; returns its log messages, one a line. */
async function runUntilSubscribed(args: string[], env: NodeJS.ProcessEnv, subscriptions: number): Promise<string> {
  const abort = new AbortController();
  let stderr = "";
  const code = await runDaemonCommand([...args, "--workspace-root", `ws1=${stateDir}`, "--state-dir", stateDir], {
    env: { WSCTL_TOKEN: "wsm_test", WSCTL_LOG_FORMAT: "json", ...env },
    signal: abort.signal,
    stdout: () => undefined,
    stderr: (s) => {
      stderr += s;
      if ((stderr.match(/"msg":"subscribing to /g) ?? []).length >= subscriptions) abort.abort();
    },
  });
  expect(code).toBe(0);
  // The daemon logs JSON lines (their messages, in order); what it says before it logs stays as written.
  return stderr
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => `${line.startsWith("{") ? (JSON.parse(line) as { msg: string }).msg : line}\n`)
    .join("");
}

describe("daemonServers", () => {
  it("takes every --server flag in order, else WSCTL_SERVER split at commas", () => {
    expect(daemonServers(["http://a", "http://b"], "http://env")).toEqual(["http://a", "http://b"]);
    expect(daemonServers([], "http://a, http://b,,")).toEqual(["http://a", "http://b"]);
    expect(daemonServers([], "http://a")).toEqual(["http://a"]);
    expect(daemonServers([], undefined)).toEqual([]);
  });
});

describe("runDaemonCommand", () => {
  it("documents --server given more than once and the failover in its help", async () => {
    const run = await runCli(runDaemonCommand, ["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--server URL [--server URL ...]");
    expect(run.stdout).toContain("comma-separated");
    expect(run.stdout).toMatch(/moves to the next in order/);
  });

  it("requires a server", async () => {
    const run = await runCli(runDaemonCommand, ["--workspace-root", "ws1=/tmp"], { env: { WSCTL_TOKEN: "t", WSCTL_SERVER: " , " } });
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining("--server (or WSCTL_SERVER) is required") });
  });

  it("fails over from a server that refuses connections to the next --server", async () => {
    const [a, b] = [await refusingUrl(), await refusingUrl()];
    const stderr = await runUntilSubscribed(["--server", a, "--server", b], {}, 2);
    expect(stderr).toMatch(new RegExp(`subscribing to ${a}\n(.*\n)*failing over to ${b}\n(.*\n)*subscribing to ${b}\n`));
    // The next server is tried at once: the backoff waits only after every server failed in a row.
    expect(stderr).toMatch(new RegExp(`failing over to ${b}\nreconnecting in 0 ms\n`));
  });

  it("reads several servers from WSCTL_SERVER", async () => {
    const [a, b] = [await refusingUrl(), await refusingUrl()];
    const stderr = await runUntilSubscribed([], { WSCTL_SERVER: `${a},${b}` }, 2);
    expect(stderr).toContain(`failing over to ${b}\n`);
  });

  it("takes --token with a warning that every user sees it in ps", async () => {
    const stderr = await runUntilSubscribed(["--server", await refusingUrl(), "--token", "wsm_flag"], { WSCTL_TOKEN: "" }, 1);
    expect(stderr).toContain("warning: the machine token was given with --token: every user of this machine can read it in `ps`");
  });

  it("reads the token from --token-file and refuses a file others may read", async () => {
    const file = path.join(stateDir, "token");
    await writeFile(file, "wsm_file\n", { mode: 0o600 });
    await chmod(file, 0o600);
    const stderr = await runUntilSubscribed(["--server", await refusingUrl(), "--token-file", file], { WSCTL_TOKEN: "" }, 1);
    expect(stderr).not.toContain("warning");
    await chmod(file, 0o644);
    const run = await runCli(runDaemonCommand, ["--server", "http://x", "--token-file", file, "--workspace-root", "ws1=/tmp"], { env: {} });
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining(`chmod 600 ${file}`) });
  });

  it("says where a token may come from when there is none", async () => {
    const run = await runCli(runDaemonCommand, ["--server", "http://x", "--workspace-root", "ws1=/tmp", "--state-dir", stateDir], { env: {} });
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining('no machine token: run "wsctl daemon register"') });
  });
});
