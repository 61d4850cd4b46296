import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo } from "./harness/create-git-repo.js";
import { spawnWsctl, standInAgent, type WsctlProcess } from "./harness/spawn-wsctl.js";

// `npm start` is `wsctl serve --dev`: a server, dev credentials and a daemon rooted at the current directory.
let tmp: string;
let project: string;
let serve: WsctlProcess;
let url: string;
let apiToken: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "wsctl-dev-"));
  project = path.join(tmp, "project");
  await createGitRepo(project);
  serve = spawnWsctl(
    ["serve", "--dev", "--listen", "127.0.0.1:0", "--database", path.join(tmp, "data/wsctl.db"), "--log-format", "json", "--claude-bin", standInAgent],
    { cwd: project, env: { WSCTL_DAEMON_STATE_DIR: path.join(tmp, "state") } },
  );
  url = (await serve.waitFor(/REST on (https?:\/\/\S+)/))[1]!;
  const credentials = (await serve.waitFor(/tokens are in (\S+)/))[1]!;
  apiToken = (JSON.parse(await readFile(path.resolve(project, credentials), "utf8")) as { api_token: string }).api_token;
  await serve.waitFor(/"component":"daemon"[^\n]*"msg":"command stream open"/);
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe("wsctl serve --dev", () => {
  it("launches into a worktree of the directory it was started in", async () => {
    const res = await fetch(`${url}/api/v1/workspaces/default/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiToken}`, "content-type": "application/json", "x-request-id": "dev-mode-launch-1" },
      body: JSON.stringify({ initial_prompt: "Say hello", worktree_name: "try-wsctl" }),
    });
    const body = (await res.json()) as { status: string; payload: Record<string, unknown> };
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ status: "ok", payload: { workspace_id: "default", machine_id: "local", branch: "try-wsctl" } });
    expect(body.payload.work_dir).toBe(path.join(await realpath(project), ".worktrees/try-wsctl"));
  });

  it("logs its daemon as JSON lines of component daemon, carrying the launch's request id", async () => {
    await serve.waitFor(/"request_id":"dev-mode-launch-1"[^\n]*"component":"daemon"|"component":"daemon"[^\n]*"request_id":"dev-mode-launch-1"/);
    const lines = serve.stderr().split("\n").filter((line) => line !== "");
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const daemon = records.filter((r) => r.component === "daemon");
    expect(daemon.length).toBeGreaterThan(0);
    expect(daemon.some((r) => r.msg === "command received" && r.request_id === "dev-mode-launch-1")).toBe(true);
    // Every line is a record: nothing the daemon says is a plain line any more.
    expect(records.every((r) => typeof r.msg === "string" && typeof r.level !== "undefined")).toBe(true);
  });
});
