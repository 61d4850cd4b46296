import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchRequestFromFlags, runLaunch } from "../../../client/wsctl/launch-command.js";
import type { LaunchWorkspaceSessionRequest } from "../../../gen/workspaces/v1/launch_pb.js";
import { SessionEventType, SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { type FakeWorkspaceServer, runCli, startFakeWorkspaceServer } from "../fake-workspace-server.js";

describe("launchRequestFromFlags", () => {
  it("maps each flag to its request field, leaving the rest unset", () => {
    const req = launchRequestFromFlags({
      workspace: "acme",
      machine: "laptop",
      prompt: "fix it",
      worktree: "feature/x",
      model: "haiku",
      resume: "r1",
      "user-session": "u1",
      "agent-session": "a1",
      language: "en-US",
      metadata: '{"ticket":"ENG-1"}',
    });
    expect(req).toMatchObject({
      workspaceId: "acme",
      machineId: "laptop",
      initialPrompt: "fix it",
      worktreeName: "feature/x",
      resumeSessionId: "r1",
      userSessionId: "u1",
      agentSessionId: "a1",
      metadata: { ticket: "ENG-1" },
    });
    expect(req.sessionSettings?.code?.providers?.claudeCode?.model).toBe("haiku");
    expect(req.sessionSettings?.code?.defaultProvider).toBeUndefined();
    expect(req.sessionSettings?.voice?.language).toBe("en-US");
  });

  it("leaves settings out entirely when no setting flag is given", () => {
    const req = launchRequestFromFlags({ workspace: "acme" });
    expect(req.sessionSettings).toBeUndefined();
    expect(req.machineId).toBeUndefined();
    expect(req.initialPrompt).toBeUndefined();
  });

  it("puts model and thinking under codex with --provider codex", () => {
    const req = launchRequestFromFlags({ workspace: "acme", provider: "codex", model: "gpt-5.1-codex-max", thinking: "high" });
    expect(req.sessionSettings?.code?.defaultProvider).toBe("codex");
    expect(req.sessionSettings?.code?.providers?.codex).toMatchObject({ model: "gpt-5.1-codex-max", thinking: "high" });
    expect(req.sessionSettings?.code?.providers?.claudeCode).toBeUndefined();
  });

  it("rejects a missing workspace, an unknown provider, --thinking without codex and bad metadata", () => {
    expect(() => launchRequestFromFlags({})).toThrow(/--workspace W is required/);
    expect(() => launchRequestFromFlags({ workspace: "a", provider: "gemini" })).toThrow(/claude_code or codex/);
    expect(() => launchRequestFromFlags({ workspace: "a", thinking: "high" })).toThrow(/--provider codex/);
    expect(() => launchRequestFromFlags({ workspace: "a", metadata: "[1]" })).toThrow(/JSON object/);
    expect(() => launchRequestFromFlags({ workspace: "a", metadata: "{" })).toThrow(/JSON object/);
  });
});

describe("runLaunch", () => {
  let server: FakeWorkspaceServer;
  const seen: { request: LaunchWorkspaceSessionRequest; idempotencyKey: string | null; auth: string | null }[] = [];
  const payload = { session_id: "s1", workspace_id: "acme", machine_id: "m1", provider: "claude_code", pid: 77 };

  beforeAll(async () => {
    server = await startFakeWorkspaceServer({
      sessions: {
        launchWorkspaceSession(request, ctx) {
          seen.push({ request, idempotencyKey: ctx.requestHeader.get("idempotency-key"), auth: ctx.requestHeader.get("authorization") });
          if (request.machineId === "offline") throw new ConnectError("machine offline is offline", Code.Unavailable);
          if (request.initialPrompt === "fail") return { status: "error", payload: { ...payload, error: { code: "x", message: "y" } } };
          return { status: "ok", payload };
        },
        async *launchWorkspaceSessionStream(request) {
          const base = { sessionId: "s1", machineId: "m1" };
          yield { ...base, sequence: 1n, type: SessionEventType.ACCEPTED, state: SessionState.PENDING };
          yield { ...base, sequence: 0n, type: SessionEventType.HEARTBEAT };
          yield { ...base, sequence: 2n, type: SessionEventType.DISPATCHED, state: SessionState.DISPATCHED };
          if (request.initialPrompt === "cut") return;
          yield { ...base, sequence: 3n, type: SessionEventType.ACKNOWLEDGED, state: SessionState.RUNNING, acknowledgement: { status: "ok", payload } };
          yield { ...base, sequence: 4n, type: SessionEventType.RUNNING, state: SessionState.RUNNING };
          const code = Number(request.initialPrompt ?? "0");
          yield { ...base, sequence: 5n, type: SessionEventType.EXITED, state: SessionState.EXITED, exitCode: code };
        },
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  const env = () => ({ WSCTL_SERVER: server.url1, WSCTL_TOKEN: "wsa_t" });

  it("prints the status and one line per payload field, and exits 0", async () => {
    const run = await runCli(runLaunch, ["--workspace", "acme", "--prompt", "hi", "--idempotency-key", "k1"], { env: env() });
    expect(run).toEqual({
      code: 0,
      stdout: "status: ok\nsession_id: s1\nworkspace_id: acme\nmachine_id: m1\nprovider: claude_code\npid: 77\n",
      stderr: "",
    });
    const last = seen.at(-1);
    expect(last?.request.initialPrompt).toBe("hi");
    expect(last?.idempotencyKey).toBe("k1");
    expect(last?.auth).toBe("Bearer wsa_t");
  });

  it("prints the response as JSON with proto field names", async () => {
    const run = await runCli(runLaunch, ["--workspace", "acme", "--json", "--server", server.url2, "--protocol", "grpc"], {
      env: { WSCTL_TOKEN: "wsa_t" },
    });
    expect(run.code).toBe(0);
    // The fake server answers {status, payload} only, so the typed fields beside them are empty.
    expect(JSON.parse(run.stdout)).toEqual({
      status: "ok",
      payload,
      session_id: "",
      machine_id: "",
      agent_session_id: "",
      provider: "",
      model: "",
      work_dir: "",
      branch: "",
      pid: 0,
    });
  });

  it("exits 1 when the daemon answers status error", async () => {
    const run = await runCli(runLaunch, ["--workspace", "acme", "--prompt", "fail"], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^status: error\n/);
    expect(run.stdout).toContain('error: {"code":"x","message":"y"}\n');
  });

  it("prints an RPC error as one line with its code and exits 1", async () => {
    const run = await runCli(runLaunch, ["--workspace", "acme", "--machine", "offline"], { env: env() });
    expect(run).toEqual({ code: 1, stdout: "", stderr: "wsctl launch: unavailable: machine offline is offline\n" });
  });

  it("follows the stream, one line per event without heartbeats, and exits 0 on exit code 0", async () => {
    const run = await runCli(runLaunch, ["--workspace", "acme", "--follow"], { env: env() });
    expect(run.stdout.split("\n")).toEqual([
      "#1 accepted session s1 on m1",
      "#2 dispatched to m1",
      "#3 acknowledged ok provider=claude_code pid=77",
      "#4 running",
      "#5 exited with code 0",
      "",
    ]);
    expect(run.code).toBe(0);
  });

  it("exits 1 when the followed agent exits non-zero", async () => {
    const run = await runCli(runLaunch, ["--workspace", "acme", "--follow", "--prompt", "3", "--json"], { env: env() });
    const events = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; exit_code?: number });
    expect(events.map((e) => e.type)).toEqual([
      "SESSION_EVENT_TYPE_ACCEPTED",
      "SESSION_EVENT_TYPE_DISPATCHED",
      "SESSION_EVENT_TYPE_ACKNOWLEDGED",
      "SESSION_EVENT_TYPE_RUNNING",
      "SESSION_EVENT_TYPE_EXITED",
    ]);
    expect(events.at(-1)?.exit_code).toBe(3);
    expect(run.code).toBe(1);
  });

  it("exits 1 and says so when the stream ends before the session does", async () => {
    const run = await runCli(runLaunch, ["--workspace", "acme", "--follow", "--prompt", "cut"], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("wsctl launch: the event stream ended before the session did\n");
  });

  it("shows a progress line on a terminal and keeps stdout clean", async () => {
    const run = await runCli(runLaunch, ["--workspace", "acme"], { env: env(), isTTY: true });
    expect(run.code).toBe(0);
    expect(run.stderr.replaceAll("\x1b[K", "⟨EL⟩")).toMatch(/^\r\S launching in acme on the default machine, waiting for the daemon…⟨EL⟩/);
    expect(run.stderr.endsWith("\r\x1b[K")).toBe(true);
    expect(run.stdout).toMatch(/^status: ok\n/);
  });

  it("answers usage errors with exit 2 before calling the server", async () => {
    const before = seen.length;
    expect((await runCli(runLaunch, ["--prompt", "x"], { env: env() })).code).toBe(2);
    expect((await runCli(runLaunch, ["--workspace", "acme", "--nope"], { env: env() })).code).toBe(2);
    expect((await runCli(runLaunch, ["--workspace", "acme", "extra"], { env: env() })).code).toBe(2);
    // No token and no data/credentials.json where it runs: nothing to call the dev server with.
    const noToken = await runCli(runLaunch, ["--workspace", "acme"], { env: { WSCTL_SERVER: server.url1 } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/^wsctl launch: no token: pass --token TOKEN or set WSCTL_TOKEN \(or run where/);
    expect(seen.length).toBe(before);
  });

  it("prints help with examples", async () => {
    const run = await runCli(runLaunch, ["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: wsctl launch --workspace W/);
    expect(run.stdout).toContain("Examples:\n  wsctl launch --workspace acme");
    expect(run.stdout).toContain("WSCTL_SERVER");
  });
});
