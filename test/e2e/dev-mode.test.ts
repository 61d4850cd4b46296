import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo } from "./harness/create-git-repo.js";
import { repoRoot, spawnWsctl, standInAgent, type WsctlProcess } from "./harness/spawn-wsctl.js";

// `npm start` is `wsctl serve --dev`: a server, dev credentials and a daemon rooted at the directory
// the command was started in. npm runs it in the package's directory and says where it was started
// in INIT_CWD, so this starts it as `cd $tmp && npm start --prefix <checkout> -- --root project`
// would: in the checkout, INIT_CWD=$tmp, `--root project` relative to that.
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
    ["serve", "--dev", "--root", "project", "--listen", "127.0.0.1:0", "--database", path.join(tmp, "data/wsctl.db"), "--log-format", "json", "--claude-bin", standInAgent],
    { cwd: repoRoot, env: { WSCTL_DAEMON_STATE_DIR: path.join(tmp, "state"), npm_lifecycle_event: "start", INIT_CWD: tmp } },
  );
  url = (await serve.waitFor(/REST on (https?:\/\/\S+)/))[1]!;
  const credentials = (await serve.waitFor(/tokens are in (\S+)/))[1]!;
  apiToken = (JSON.parse(await readFile(path.resolve(repoRoot, credentials), "utf8")) as { api_token: string }).api_token;
  await serve.waitFor(/"component":"daemon"[^\n]*"msg":"command stream open"/);
}, 60_000);

/**
 * A client verb as a user runs it where `npm start` was started, in dev mode: no server, token
 * or workspace given (and none in the environment), all from ./data/credentials.json.
 */
async function devWsctl(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnWsctl(args, { cwd: tmp, env: { WSCTL_SERVER: "", WSCTL_TOKEN: "", WSCTL_PROTOCOL: "" } });
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

afterAll(async () => {
  await serve?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe("wsctl serve --dev", () => {
  it("says where its daemon is rooted and how to try it", () => {
    expect(serve.stdout()).toContain(`machine "local" rooted at ${project}\n`);
    expect(serve.stdout()).toContain(`wsctl: or, from ${tmp}: npx wsctl launch --prompt "Say hello" --worktree try-wsctl --follow`);
  });

  it("launches into a worktree of the --root directory", async () => {
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

  it("serves the client verbs with no server, token or workspace given: they come from data/credentials.json", async () => {
    const launched = await devWsctl("launch", "--prompt", "hello from the cli", "--worktree", "cli-dev", "--json");
    expect(launched.stderr).toBe("");
    expect(launched.code).toBe(0);
    const res = JSON.parse(launched.stdout) as { status: string; payload: Record<string, unknown>; pid: number; work_dir: string };
    expect(res).toMatchObject({ status: "ok", payload: { workspace_id: "default", machine_id: "local", branch: "cli-dev" } });
    expect(res.work_dir).toBe(path.join(await realpath(project), ".worktrees/cli-dev"));
    expect(res.pid).toBe(res.payload.pid);

    const listed = await devWsctl("sessions", "--json");
    expect(listed.code).toBe(0);
    const sessions = (JSON.parse(listed.stdout) as { sessions: { session_id: string; workspace_id: string }[] }).sessions;
    expect(sessions.map((x) => x.session_id)).toContain(res.payload.session_id);

    const machines = await devWsctl("machines");
    expect(machines.code).toBe(0);
    expect(machines.stdout).toMatch(/^local\s+default\s+online\s+yes/m);
  });

  it("answers --version on a client verb without a server", async () => {
    const run = await devWsctl("sessions", "--version");
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^wsctl \d+\.\d+\.\d+/);
  });
});
