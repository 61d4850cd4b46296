import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./harness/spawn-wsctl.js";
import { seedRequest, seedRequestText } from "./harness/seed-request.js";
import { type Stack, startStack } from "./harness/start-stack.js";

const run = promisify(execFile);
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

async function curl(args: string[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const { stdout } = await run("curl", ["-sS", "-w", "\n%{http_code}", ...args]);
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) as Record<string, unknown> };
}

/** The seed's curl request (POST, bearer token, JSON content type) with `body`, plus any more curl arguments. */
function postLaunch(body: string, ...more: string[]) {
  return curl([
    "--request",
    "POST",
    "--url",
    `${stack.url}/api/v1/workspaces/${stack.workspaceId}/sessions`,
    "--header",
    `Authorization: Bearer ${stack.apiToken}`,
    "--header",
    "Content-Type: application/json",
    "--data",
    body,
    ...more,
  ]);
}

describe("the seed's curl request", () => {
  it.each([["--http1.1"], ["--http2-prior-knowledge"]])("returns 200 {status: ok, payload} with curl %s", async (flag) => {
    const body = JSON.stringify(seedRequest({ initial_prompt: "Fix the failing test" }), null, 2);
    const res = await postLaunch(body, flag);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["status", "payload"]);
    expect(res.body.status).toBe("ok");
    expect(res.body.payload).toMatchObject({
      workspace_id: stack.workspaceId,
      machine_id: stack.machineId,
      provider: "claude_code",
      model: "haiku",
      branch: "main",
      work_dir: stack.repoDir,
    });
    for (const key of ["session_id", "agent_session_id", "pid"]) expect(res.body.payload).toHaveProperty(key);
  });

  it("names each placeholder field that is not a real value when sent verbatim", async () => {
    const res = await postLaunch(seedRequestText);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_argument");
    expect(res.body.detail).toBe(res.body.message);
    for (const field of ["machine_id", "session_settings.code.default_provider", "session_settings.voice.language", "worktree_name"]) {
      expect(String(res.body.message)).toContain(field);
    }
  });

  it("gives the stand-in agent the argv built from the seed's settings, in a worktree on the named branch", async () => {
    const res = await postLaunch(JSON.stringify(seedRequest({ initial_prompt: "-rf /", worktree_name: "feature/seed" })));
    expect(res.status).toBe(200);
    const payload = res.body.payload as { pid: number; agent_session_id: string; work_dir: string };
    expect(payload.work_dir).toBe(path.join(stack.repoDir, ".worktrees", "feature__seed"));
    const { stdout: branch } = await run("git", ["-C", payload.work_dir, "branch", "--show-current"]);
    expect(branch.trim()).toBe("feature/seed");
    const { readFile } = await import("node:fs/promises");
    const record = JSON.parse(await readFile(path.join(stack.recordDir, `${payload.pid}.json`), "utf8")) as {
      argv: string[];
      cwd: string;
      messages: string[];
    };
    expect(record.cwd).toBe(payload.work_dir);
    // The prompt is not on the command line: it is the first stream-json user event on the agent's stdin.
    expect(record.argv).toEqual([
      "--print",
      "--output-format",
      "stream-json",
      "--verbose",
      "--input-format",
      "stream-json",
      "--session-id",
      payload.agent_session_id,
      "--model",
      "haiku",
      // The workspace's default permission mode: requests are relayed through the daemon's permission server.
      "--permission-mode",
      "default",
      "--mcp-config",
      expect.stringMatching(/\.permissions\/mcp-config\.json$/),
      "--permission-prompt-tool",
      "mcp__wsctl__approve",
    ]);
    expect(record.messages).toEqual(["-rf /"]);
  });

  it("replays the first result for a retry with the same Idempotency-Key and launches nothing new", async () => {
    const body = JSON.stringify(seedRequest());
    const first = await postLaunch(body, "--header", "Idempotency-Key: retry-1");
    const second = await postLaunch(body, "--header", "Idempotency-Key: retry-1");
    expect(first.status).toBe(200);
    expect(second).toEqual(first);
    const other = await postLaunch(JSON.stringify(seedRequest({ initial_prompt: "different" })), "--header", "Idempotency-Key: retry-1");
    expect(other.status).toBe(400);
  });

  it("is served over gRPC to buf curl", async () => {
    const { stdout } = await run(path.join(repoRoot, "node_modules/.bin/buf"), [
      "curl",
      "--schema",
      repoRoot,
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "-H",
      `Authorization: Bearer ${stack.apiToken}`,
      "-d",
      JSON.stringify({ ...seedRequest(), workspace_id: stack.workspaceId }),
      `${stack.url}/workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession`,
    ], { cwd: repoRoot });
    const res = JSON.parse(stdout) as { status: string; payload: Record<string, unknown> };
    expect(res.status).toBe("ok");
    expect(res.payload).toMatchObject({ workspace_id: stack.workspaceId, machine_id: stack.machineId, model: "haiku" });
  });
});
