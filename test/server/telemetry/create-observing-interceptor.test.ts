import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiToken } from "../../../server/admin/create-api-token.js";
import { createMachine } from "../../../server/admin/create-machine.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { type RunningServer, startServer } from "../../../server/start-server.js";
import { pollUntil } from "../../support/poll-until.js";
import { captureLogs } from "./log-capture.js";

let server: RunningServer;
let logs: ReturnType<typeof captureLogs>;
let token: string;

beforeEach(async () => {
  logs = captureLogs();
  server = await startServer({ host: "127.0.0.1", port: 0, database: ":memory:", logger: logs.logger });
  await createWorkspace(server.store, "ws");
  await createMachine(server.store, { machineId: "m1", workspaceId: "ws" });
  token = (await createApiToken(server.store, { workspaceIds: ["ws"] })).token;
});

afterEach(async () => {
  await server.close();
});

const rpcLines = () => logs.lines.filter((l) => l.msg === "rpc");

describe("createObservingInterceptor", () => {
  it("writes one access line per REST call with its ids, code and duration, never the token", async () => {
    const res = await fetch(`${server.url}/api/v1/machines/m1`, { headers: { authorization: `Bearer ${token}`, "x-request-id": "req-42" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("req-42");
    const [line] = await pollUntil(() => (rpcLines().length === 1 ? rpcLines() : undefined));
    expect(line).toMatchObject({
      level: "info",
      request_id: "req-42",
      method: "workspaces.v1.MachineService/GetMachine",
      protocol: "rest",
      http_version: "1.1",
      code: "ok",
      machine_id: "m1",
    });
    expect(line!.token_id).toMatch(/^tok_/);
    expect(typeof line!.duration_ms).toBe("number");
    expect(logs.raw()).not.toContain(token);
  });

  it("names the Connect protocol and the caller's code, and makes a request id when none is given", async () => {
    const res = await fetch(`${server.url}/workspaces.v1.MachineService/GetMachine`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ machineId: "nope" }),
    });
    expect(res.status).toBe(404);
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const [line] = await pollUntil(() => (rpcLines().length === 1 ? rpcLines() : undefined));
    expect(line).toMatchObject({ request_id: id, protocol: "connect", code: "not_found", level: "info" });
  });

  it("logs a stream the client leaves as canceled at info, without an error", async () => {
    const sessionId = "s1";
    const now = Date.now();
    await server.store.createSession({
      sessionId,
      workspaceId: "ws",
      machineId: "m1",
      state: "running",
      provider: "claude_code",
      model: "",
      agentSessionId: "",
      workDir: "",
      branch: "",
      pid: 1,
      exitCode: undefined,
      errorMessage: "",
      metadata: {},
      acknowledgement: undefined,
      createdAt: now,
      updatedAt: now,
    });
    const controller = new AbortController();
    const watch = fetch(`${server.url}/api/v1/workspaces/ws/sessions/${sessionId}:watch`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    }).catch(() => undefined);
    const metrics = async () => (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    await pollUntil(async () => (await metrics()).includes('wsctl_open_streams{kind="WatchWorkspaceSession"} 1'), { what: "the open watch" });
    controller.abort();
    await watch;
    const line = await pollUntil(() => rpcLines().find((l) => String(l.method).endsWith("WatchWorkspaceSession")));
    expect(line).toMatchObject({ level: "info", session_id: sessionId });
    expect(["ok", "canceled"]).toContain(line.code);
    expect(logs.lines.filter((l) => l.level === "error")).toEqual([]);
    await pollUntil(async () => (await metrics()).includes('wsctl_open_streams{kind="WatchWorkspaceSession"} 0'), { what: "the closed watch" });
  });
});
