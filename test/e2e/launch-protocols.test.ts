import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allLaunchClients, type LaunchClient } from "./harness/protocol-clients.js";
import { seedRequest } from "./harness/seed-request.js";
import { startFakeDaemon } from "./harness/fake-daemon.js";
import { type Stack, startStack } from "./harness/start-stack.js";

// One server, one port; every protocol client gets the same cases and the same assertions.
let stack: Stack;
let clients: LaunchClient[];
let silent: { stop(): void };

beforeAll(async () => {
  // A second to die in: a stand-in booting slowly under load must not pass for a live agent.
  stack = await startStack({ launchDeadlineMs: 1500, startupWindowMs: 1_000 });
  await stack.admin("create-workspace", "ws2");
  await stack.admin("create-machine", "offline", "--workspace", stack.workspaceId);
  await stack.admin("create-machine", "silent", "--workspace", stack.workspaceId);
  const silentToken = (JSON.parse(await stack.admin("create-token", "--machine", "silent", "--json")) as { token: string }).token;
  // Receives launches and never answers them.
  silent = startFakeDaemon(stack.url, silentToken);
  await stack.waitOnline("silent", true);
  clients = allLaunchClients(stack.url);
}, 60_000);

afterAll(async () => {
  for (const c of clients ?? []) c.close?.();
  silent?.stop();
  await stack?.stop();
});

const protocols = [
  "gRPC (@grpc/grpc-js)",
  "gRPC (Connect transport)",
  "gRPC-Web",
  "Connect JSON over HTTP/1.1",
  "Connect binary over HTTP/2",
  "REST over HTTP/1.1",
  "REST over HTTP/2",
];

function client(name: string): LaunchClient {
  const c = clients.find((x) => x.name === name);
  if (!c) throw new Error(`no client ${name}`);
  return c;
}

describe.each(protocols)("LaunchWorkspaceSession over %s", (protocol) => {
  it("launches the seed request and returns the daemon's acknowledgement", async () => {
    const body = seedRequest({ worktree_name: `feature/${protocol.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}` });
    const out = await client(protocol).launch(stack.workspaceId, body, stack.apiToken);
    expect(out).toMatchObject({ kind: "ok", status: "ok" });
    if (out.kind !== "ok") return;
    expect(Object.keys(out.payload).slice(0, 3)).toEqual(["session_id", "workspace_id", "machine_id"]);
    expect(out.payload).toMatchObject({
      workspace_id: stack.workspaceId,
      machine_id: stack.machineId,
      provider: "claude_code",
      model: "haiku",
      branch: body.worktree_name,
    });
    expect(out.payload.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.payload.agent_session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.payload.pid).toBeGreaterThan(0);
    expect(String(out.payload.work_dir)).toContain(stack.repoDir);
    // The typed fields repeat the payload (pid an integer) on the RPC protocols; REST keeps the seed's {status, payload}.
    const typedKeys = ["session_id", "machine_id", "agent_session_id", "provider", "model", "work_dir", "branch", "pid"];
    if (protocol.startsWith("REST")) expect(out.typed).toEqual({});
    else expect(out.typed).toEqual(Object.fromEntries(typedKeys.map((k) => [k, out.payload[k]])));
  });

  it("answers unauthenticated without a token", async () => {
    const out = await client(protocol).launch(stack.workspaceId, seedRequest(), undefined);
    expect(out).toMatchObject({ kind: "error", code: "unauthenticated" });
    if (protocol.startsWith("REST")) expect(out).toMatchObject({ httpStatus: 401 });
  });

  it("answers not_found for a workspace the token does not cover", async () => {
    const out = await client(protocol).launch("ws2", seedRequest(), stack.apiToken);
    expect(out).toMatchObject({ kind: "error", code: "not_found" });
    if (protocol.startsWith("REST")) expect(out).toMatchObject({ httpStatus: 404 });
  });

  it("answers invalid_argument naming the bad field", async () => {
    const body = seedRequest();
    (body.session_settings as { code: { providers: { codex: { thinking: string } } } }).code.providers.codex.thinking = "extreme";
    const out = await client(protocol).launch(stack.workspaceId, body, stack.apiToken);
    expect(out).toMatchObject({ kind: "error", code: "invalid_argument" });
    if (out.kind === "error") expect(out.message).toContain("session_settings.code.providers.codex.thinking");
    if (protocol.startsWith("REST")) expect(out).toMatchObject({ httpStatus: 400 });
  });

  it("answers unavailable at once for an offline machine", async () => {
    const started = Date.now();
    const out = await client(protocol).launch(stack.workspaceId, seedRequest({ machine_id: "offline" }), stack.apiToken);
    expect(out).toMatchObject({ kind: "error", code: "unavailable" });
    if (out.kind === "error") expect(out.message).toContain("offline");
    expect(Date.now() - started).toBeLessThan(1000);
    if (protocol.startsWith("REST")) expect(out).toMatchObject({ httpStatus: 503 });
  });

  it("answers deadline_exceeded when the daemon stays silent past the launch deadline", async () => {
    const out = await client(protocol).launch(stack.workspaceId, seedRequest({ machine_id: "silent" }), stack.apiToken);
    expect(out).toMatchObject({ kind: "error", code: "deadline_exceeded" });
    if (protocol.startsWith("REST")) expect(out).toMatchObject({ httpStatus: 504 });
  });

  it("returns 200 with status error when the daemon acknowledges with an error", async () => {
    const out = await client(protocol).launch(stack.workspaceId, seedRequest({ initial_prompt: "crash" }), stack.apiToken);
    expect(out).toMatchObject({ kind: "ok", status: "error" });
    if (out.kind !== "ok") return;
    expect(out.payload).toMatchObject({ workspace_id: stack.workspaceId, machine_id: stack.machineId });
    const error = out.payload.error as { code: string; message: string };
    expect(error.code).toBe("agent_exited");
    expect(error.message).toContain("boom: agent crashed");
    if (!protocol.startsWith("REST")) expect(out.typed).toMatchObject({ session_id: out.payload.session_id, error });
  });
});
