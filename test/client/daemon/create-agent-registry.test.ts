import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AgentEntry,
  type AgentRegistry,
  createAgentRegistry,
  daemonKey,
  defaultDaemonStateDir,
} from "../../../client/daemon/create-agent-registry.js";

let stateDir: string;
let registry: AgentRegistry;
let logs: string[];

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), "wsctl-state-"));
  logs = [];
  registry = createAgentRegistry({ stateDir, log: (line) => logs.push(line) });
  await registry.init();
});

afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

function entry(sessionId: string, more: Partial<AgentEntry> = {}): AgentEntry {
  const logs = registry.logPaths(sessionId);
  return {
    session_id: sessionId,
    workspace_id: "ws1",
    agent_session_id: "a1",
    pid: 4242,
    start_time: "123456",
    provider: "codex",
    model: "gpt-5",
    work_dir: "/src/ws1",
    branch: "main",
    started_at: "2025-01-01T00:00:00.000Z",
    stdout_path: logs.stdout,
    stderr_path: logs.stderr,
    daemon_key: "k",
    ...more,
  };
}

describe("createAgentRegistry", () => {
  it("writes one JSON file per session and loads them back", async () => {
    await registry.write(entry("s1"));
    await registry.write(entry("s2", { exit: { state: "failed", message: "killed" } }));
    expect((await readdir(registry.dir)).sort()).toEqual(["s1.json", "s2.json"]);
    expect(await registry.load()).toEqual([entry("s1"), entry("s2", { exit: { state: "failed", message: "killed" } })]);
    expect(registry.dir).toBe(path.join(stateDir, "agents"));
    expect(registry.logPaths("s1")).toEqual({
      stdout: path.join(stateDir, "agents", "s1.stdout.log"),
      stderr: path.join(stateDir, "agents", "s1.stderr.log"),
    });
  });

  it("replaces an entry atomically, leaving no temp files", async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => registry.write(entry("s1", { pid: 1000 + i }))));
    expect(await readdir(registry.dir)).toEqual(["s1.json"]);
    expect((await registry.load())[0]?.pid).toBe(1019);
  });

  it("removes an entry after the writes sent before it, with its log files", async () => {
    await writeFile(registry.logPaths("s1").stdout, "out\n");
    await writeFile(registry.logPaths("s1").stderr, "err\n");
    void registry.write(entry("s1"));
    await registry.remove("s1", { logs: true });
    expect(await readdir(registry.dir)).toEqual([]);
    expect(await registry.load()).toEqual([]);
  });

  it("removes a session's permission directory with its files", async () => {
    const { permissions } = registry.sessionFiles("s1");
    expect(permissions).toBe(path.join(stateDir, "agents", "s1.permissions"));
    await mkdir(permissions);
    await writeFile(path.join(permissions, "prq_1.request.json"), "{}");
    await registry.write(entry("s1"));
    await registry.remove("s1", { logs: true });
    expect(await readdir(registry.dir)).toEqual([]);
  });

  it("removes the files before the entry: files it could not remove stay named by the entry", async () => {
    await registry.write(entry("s1"));
    // A directory where the stdout log belongs: rm refuses it.
    await mkdir(path.join(registry.logPaths("s1").stdout, "x"), { recursive: true });
    await expect(registry.remove("s1", { logs: true })).rejects.toThrow();
    expect((await registry.load()).map((e) => e.session_id)).toEqual(["s1"]);
  });

  it("keeps session ids that are not safe file names inside its directory", async () => {
    await registry.write(entry("../../escape"));
    const names = await readdir(registry.dir);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^id-[0-9a-f]{64}\.json$/);
    expect(path.dirname(registry.logPaths("../../escape").stdout)).toBe(registry.dir);
    expect((await registry.load())[0]?.session_id).toBe("../../escape");
  });

  it("skips malformed entries and logs them", async () => {
    await writeFile(path.join(registry.dir, "bad.json"), "{ not json");
    await writeFile(path.join(registry.dir, "wrong.json"), JSON.stringify({ session_id: "x", pid: "12" }));
    await registry.write(entry("s1"));
    expect((await registry.load()).map((e) => e.session_id)).toEqual(["s1"]);
    expect(logs.filter((l) => l.includes("bad.json") || l.includes("wrong.json"))).toHaveLength(2);
  });

  it("loads nothing from a directory that does not exist", async () => {
    const missing = createAgentRegistry({ stateDir: path.join(stateDir, "missing") });
    expect(await missing.load()).toEqual([]);
  });
});

describe("defaultDaemonStateDir", () => {
  it("prefers WSCTL_DAEMON_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state", () => {
    expect(defaultDaemonStateDir({ WSCTL_DAEMON_STATE_DIR: "/s", XDG_STATE_HOME: "/x" }, "/home/u")).toBe("/s");
    expect(defaultDaemonStateDir({ XDG_STATE_HOME: "/x" }, "/home/u")).toBe("/x/wsctl/daemon");
    expect(defaultDaemonStateDir({ WSCTL_DAEMON_STATE_DIR: "" }, "/home/u")).toBe("/home/u/.local/state/wsctl/daemon");
  });
});

describe("daemonKey", () => {
  it("differs per server and token and does not contain the token", () => {
    const key = daemonKey("http://a", "wsm_secret");
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(key).not.toContain("secret");
    expect(daemonKey("http://a", "wsm_secret")).toBe(key);
    expect(daemonKey("http://b", "wsm_secret")).not.toBe(key);
    expect(daemonKey("http://a", "wsm_other")).not.toBe(key);
  });
});
