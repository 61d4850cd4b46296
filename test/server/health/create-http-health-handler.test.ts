import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiToken } from "../../../server/admin/create-api-token.js";
import { createWorkspace } from "../../../server/admin/create-workspace.js";
import { type RunningServer, startServer } from "../../../server/start-server.js";

let server: RunningServer;
beforeEach(async () => {
  server = await startServer({ host: "127.0.0.1", port: 0, database: ":memory:", log: () => {} });
});
afterEach(async () => {
  await server.close();
});

const healthCheck = (url: string) =>
  fetch(`${url}/grpc.health.v1.Health/Check`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).then(
    (r) => r.json() as Promise<{ status: string }>,
  );

describe("createHttpHealthHandler", () => {
  it("answers /healthz and /readyz without a token", async () => {
    const live = await fetch(`${server.url}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", store: "ok", migrations: "done", shutting_down: "no" });
    expect(await healthCheck(server.url)).toEqual({ status: "SERVING" });
  });

  it("is not ready, and gRPC health NOT_SERVING, once the store refuses writes", async () => {
    await server.store.close();
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "not_ready", migrations: "done", shutting_down: "no" });
    expect(await healthCheck(server.url)).toEqual({ status: "NOT_SERVING" });
  });
});

describe("createMetricsHandler", () => {
  it("serves Prometheus text to an API token only", async () => {
    await createWorkspace(server.store, "ws");
    const token = (await createApiToken(server.store, { workspaceIds: ["ws"] })).token;
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    await fetch(`${server.url}/api/v1/machines`, { headers: { authorization: `Bearer ${token}` } });
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/wsctl_rpc_requests_total\{method="workspaces.v1.MachineService\/ListMachines",protocol="rest",code="ok"\} 1/);
    expect(text).toMatch(/wsctl_store_duration_seconds_count\{operation="listMachines",outcome="ok"\} 1/);
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect(text).toContain("process_resident_memory_bytes");
    expect(text).toContain("wsctl_machines_online 0");
  });

  it("moves to a listener of its own with metricsListen, without a token", async () => {
    const separate = await startServer({ host: "127.0.0.1", port: 0, database: ":memory:", log: () => {}, metricsListen: { host: "127.0.0.1", port: 0 } });
    try {
      expect((await fetch(`${separate.metricsUrl}/metrics`)).status).toBe(200);
      expect((await fetch(`${separate.url}/metrics`)).status).toBe(404);
    } finally {
      await separate.close();
    }
  });
});
