import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspaceClient, type WorkspaceProtocol } from "../../client/create-workspace-client.js";
import { spawnWsctl } from "./harness/spawn-wsctl.js";
import { type Stack, startStack } from "./harness/start-stack.js";

// The real `wsctl` client verbs, each a separate process, against a real server
// and a real daemon running the stand-in agent.
let stack: Stack;

beforeAll(async () => {
  // A second to die in: a stand-in booting slowly under load must not pass for a live agent.
  stack = await startStack({ startupWindowMs: 1_000 });
  await stack.admin("create-machine", "offline", "--workspace", stack.workspaceId);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `wsctl <args>` with the stack's server and token in the environment. */
async function wsctl(...args: string[]): Promise<Result> {
  const p = spawnWsctl(args, { env: { WSCTL_SERVER: stack.url, WSCTL_TOKEN: stack.apiToken, WSCTL_PROTOCOL: "" } });
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** `key: value` lines as an object. */
function fields(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split("\n")
      .map((line) => {
        const i = line.indexOf(": ");
        return [line.slice(0, i), line.slice(i + 2)];
      }),
  );
}

describe("wsctl send", () => {
  it("sends a follow-up that the agent answers, and watch prints the whole transcript, tool calls one line each", async () => {
    const launched = await wsctl("launch", "--workspace", stack.workspaceId, "--prompt", "hello there", "--json");
    expect(launched.code).toBe(0);
    const sessionId = String((JSON.parse(launched.stdout) as { payload: { session_id: string } }).payload.session_id);
    const sent = await wsctl("send", "--workspace", stack.workspaceId, sessionId, "exit:0:100");
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(new RegExp(`^sent to session ${sessionId} \\(transcript entry \\d+\\)`));
    const watched = await wsctl("watch", "--workspace", stack.workspaceId, sessionId);
    expect(watched.code).toBe(0);
    const lines = watched.stdout.trim().split("\n");
    const transcript = lines.filter((l) => !l.startsWith("#"));
    expect(transcript).toEqual([
      "> hello there",
      expect.stringMatching(/^· session \S+ started with model/),
      "Looking at: hello there",
      "→ Bash(ls)",
      "  ← 1 line: README.md",
      "echo: hello there",
      "— turn done (0.0 s, $0.0012)",
      "> exit:0:100",
    ]);
    expect(lines.at(-1)).toMatch(/^#\d+ exited with code 0$/);

    const json = await wsctl("watch", "--workspace", stack.workspaceId, sessionId, "--json");
    const events = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; entry?: { kind: string; tool_name?: string } });
    expect(events.find((e) => e.entry?.kind === "TRANSCRIPT_ENTRY_KIND_TOOL_CALL")?.entry?.tool_name).toBe("Bash");

    const late = await wsctl("send", "--workspace", stack.workspaceId, sessionId, "anyone there?");
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/failed_precondition.*exited/);
  });
});

describe("wsctl launch", () => {
  it("launches on the default machine and prints the status and payload fields", async () => {
    const res = await wsctl("launch", "--workspace", stack.workspaceId, "--prompt", "exit:0:300", "--worktree", "feature/cli", "--model", "haiku");
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const out = fields(res.stdout);
    expect(Object.keys(out).slice(0, 4)).toEqual(["status", "session_id", "workspace_id", "machine_id"]);
    expect(out).toMatchObject({
      status: "ok",
      workspace_id: stack.workspaceId,
      machine_id: stack.machineId,
      provider: "claude_code",
      model: "haiku",
      branch: "feature/cli",
    });
    expect(out.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.pid).toMatch(/^\d+$/);
  });

  it("prints the response as JSON with proto field names under --json", async () => {
    const res = await wsctl("launch", "--workspace", stack.workspaceId, "--machine", stack.machineId, "--prompt", "exit:0:300", "--json", "--protocol", "grpc");
    expect(res.code).toBe(0);
    const body = JSON.parse(res.stdout) as { status: string; payload: Record<string, unknown> };
    expect(body.status).toBe("ok");
    expect(body.payload).toMatchObject({ workspace_id: stack.workspaceId, machine_id: stack.machineId, provider: "claude_code" });
    expect(typeof body.payload.pid).toBe("number");
  });

  it("follows the session from accepted to exited and exits 0 with --follow", async () => {
    const res = await wsctl("launch", "--workspace", stack.workspaceId, "--prompt", "exit:0:300", "--follow");
    expect(res.code).toBe(0);
    const all = res.stdout.trim().split("\n");
    const lines = all.filter((l) => l.startsWith("#"));
    expect(lines.map((l) => l.split(" ")[1])).toEqual(["accepted", "dispatched", "acknowledged", "running", "exited"]);
    expect(lines[0]).toMatch(new RegExp(`^#1 accepted session [0-9a-f-]{36} on ${stack.machineId}$`));
    expect(lines[2]).toMatch(/^#\d+ acknowledged ok .*provider=claude_code/);
    expect(lines[4]).toMatch(/^#\d+ exited with code 0$/);
    // The transcript between them: the prompt, and the agent saying it started.
    expect(all).toContain("> exit:0:300");
    expect(all.some((l) => /^· session \S+ started with model/.test(l))).toBe(true);
    expect(res.stderr).toBe("");

    // watch replays the same history of the finished session and exits 0 too.
    const sessionId = lines[0]!.split(" ")[3]!;
    const watched = await wsctl("watch", "--workspace", stack.workspaceId, sessionId, "--protocol", "grpc-web");
    expect(watched.code).toBe(0);
    expect(watched.stdout.trim().split("\n")).toEqual(all);
  });

  it("exits 1 with --follow when the agent fails", async () => {
    const res = await wsctl("launch", "--workspace", stack.workspaceId, "--prompt", "crash", "--follow");
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/#3 acknowledged error /);
    expect(res.stdout.trim().split("\n").at(-1)).toMatch(/^#\d+ failed: .*boom: agent crashed/);
  });

  it("prints unavailable on one line and exits 1 when the machine is offline", async () => {
    const res = await wsctl("launch", "--workspace", stack.workspaceId, "--machine", "offline");
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toMatch(/^wsctl launch: unavailable: .*offline.*\n$/);
  });

  it("prints invalid_argument naming the field for a bad model", async () => {
    const res = await wsctl("launch", "--workspace", stack.workspaceId, "--model", "bad model");
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^wsctl launch: invalid_argument: .*session_settings\.code\.providers\.claude_code\.model/);
  });
});

describe("wsctl sessions, machines and stop", () => {
  it("lists the launched session, shows m1 online and stops a running session", async () => {
    const launched = await wsctl("launch", "--workspace", stack.workspaceId, "--prompt", "run until stopped", "--json");
    expect(launched.code).toBe(0);
    const sessionId = (JSON.parse(launched.stdout) as { payload: { session_id: string } }).payload.session_id;

    const running = await wsctl("sessions", "--workspace", stack.workspaceId, "--state", "running", "--json");
    expect(running.code).toBe(0);
    const listed = (JSON.parse(running.stdout) as { sessions: { session_id: string; state: string }[] }).sessions;
    expect(listed.find((s) => s.session_id === sessionId)?.state).toBe("SESSION_STATE_RUNNING");

    const table = await wsctl("sessions", "--workspace", stack.workspaceId, "--all");
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^SESSION\s+MACHINE\s+STATE/);
    expect(table.stdout).toMatch(new RegExp(`^${sessionId}\\s+${stack.machineId}\\s+running\\s`, "m"));

    const machines = await wsctl("machines");
    expect(machines.code).toBe(0);
    expect(machines.stdout).toMatch(new RegExp(`^${stack.machineId}\\s+${stack.workspaceId}\\s+online\\s+yes`, "m"));
    expect(machines.stdout).toMatch(/^offline\s+\S+\s+offline\s/m);

    const stopped = await wsctl("stop", "--workspace", stack.workspaceId, sessionId, "--grace", "5");
    expect(stopped.stderr).toBe("");
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(new RegExp(`^stopped session ${sessionId}: stopped( \\(\\d+\\))? by ${stack.apiTokenId} at \\d{4}-`));
    const ended = await wsctl("sessions", "--workspace", stack.workspaceId, "--state", "stopped", "--json");
    expect(ended.code).toBe(0);
    const stoppedList = (JSON.parse(ended.stdout) as { sessions: { session_id: string; state: string; stopped_by: string }[] }).sessions;
    expect(stoppedList.find((s) => s.session_id === sessionId)).toMatchObject({ state: "SESSION_STATE_STOPPED", stopped_by: stack.apiTokenId });
    const stoppedTable = await wsctl("sessions", "--workspace", stack.workspaceId, "--state", "stopped");
    expect(stoppedTable.stdout).toMatch(new RegExp(`^${sessionId}\\s+${stack.machineId}\\s+stopped`, "m"));

    const again = await wsctl("stop", "--workspace", stack.workspaceId, sessionId);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/had already ended/);
  });

  it("reports not_found for a session of another workspace and unauthenticated for a bad token", async () => {
    const other = await wsctl("sessions", "--workspace", "someone-elses");
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^wsctl sessions: not_found: /);
    const bad = await wsctl("machines", "--token", "wsa_not-a-real-token");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^wsctl machines: unauthenticated: /);
  });
});

describe("createWorkspaceClient", () => {
  it.each<WorkspaceProtocol>(["connect", "grpc", "grpc-web"])("lists machines over %s", async (protocol) => {
    const client = createWorkspaceClient({ baseUrl: stack.url, token: stack.apiToken, protocol });
    const res = await client.machines.listMachines({ workspaceId: stack.workspaceId });
    const m1 = res.machines.find((m) => m.machineId === stack.machineId);
    expect(m1).toMatchObject({ workspaceId: stack.workspaceId, online: true, isDefault: true });
    expect(res.machines.find((m) => m.machineId === "offline")?.online).toBe(false);
  });
});
