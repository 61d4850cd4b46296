import http from "node:http";
import type { AddressInfo } from "node:net";
import { cors } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorsHandler, normalizeOrigin } from "../../../server/web/create-cors-handler.js";

const allowed = "https://app.example.com";
let base: string;
let server: http.Server;
let nextRuns = 0;

beforeAll(async () => {
  const handler = createCorsHandler({ allowedOrigins: ["https://APP.example.com/", "http://localhost:5173"] });
  server = http.createServer((req, res) => {
    if (handler(req, res)) return;
    nextRuns++;
    res.writeHead(200, { "content-type": "application/json", "grpc-status": "0" }).end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const list = (value: string | null) => (value ?? "").split(",").map((s) => s.trim().toLowerCase());

function preflight(origin: string, method = "POST", headers = "content-type,connect-protocol-version,authorization") {
  return fetch(`${base}/workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
  });
}

describe("createCorsHandler", () => {
  it("answers a preflight from an allowed origin with Connect's methods and headers plus Authorization and Idempotency-Key", async () => {
    const before = nextRuns;
    const res = await preflight(allowed);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(allowed);
    expect(list(res.headers.get("access-control-allow-methods"))).toEqual(cors.allowedMethods.map((m) => m.toLowerCase()));
    const headers = list(res.headers.get("access-control-allow-headers"));
    for (const h of [...cors.allowedHeaders, "Authorization", "Idempotency-Key"]) expect(headers).toContain(h.toLowerCase());
    expect(res.headers.get("access-control-max-age")).toBe("7200");
    expect(list(res.headers.get("vary"))).toContain("origin");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(nextRuns).toBe(before);
  });

  it("answers a preflight from any other origin itself, without CORS headers", async () => {
    const before = nextRuns;
    for (const origin of ["https://evil.example.com", "https://app.example.com:8443", "http://app.example.com", "null"]) {
      const res = await preflight(origin);
      expect(res.status, origin).toBe(403);
      expect(res.headers.get("access-control-allow-origin"), origin).toBeNull();
      expect(res.headers.get("access-control-allow-headers"), origin).toBeNull();
    }
    expect(nextRuns).toBe(before);
  });

  it("allows the private network when Chromium asks for it", async () => {
    const res = await fetch(`${base}/x`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST", "access-control-request-private-network": "true" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-private-network")).toBe("true");
  });

  it("sets the allowed origin and exposed headers on actual requests and lets the next handler answer", async () => {
    const before = nextRuns;
    const res = await fetch(`${base}/workspaces.v1.MachineService/ListMachines`, {
      method: "POST",
      headers: { origin: allowed, "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(200);
    expect(nextRuns).toBe(before + 1);
    expect(res.headers.get("access-control-allow-origin")).toBe(allowed);
    expect(list(res.headers.get("access-control-expose-headers"))).toEqual(cors.exposedHeaders.map((h) => h.toLowerCase()));
    expect(res.headers.get("vary")).toBe("Origin");
  });

  it("adds no CORS headers to requests from other origins or without an Origin", async () => {
    for (const headers of [{ origin: "https://evil.example.com" }, {}] as Record<string, string>[]) {
      const res = await fetch(`${base}/workspaces.v1.MachineService/ListMachines`, { method: "POST", headers, body: "{}" });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
      expect(res.headers.get("access-control-expose-headers")).toBeNull();
    }
  });

  it("leaves an OPTIONS that is not a preflight to the next handler", async () => {
    const before = nextRuns;
    const res = await fetch(`${base}/`, { method: "OPTIONS", headers: { origin: allowed } });
    expect(res.status).toBe(200);
    expect(nextRuns).toBe(before + 1);
  });

  it("allows every origin with *", async () => {
    const handler = createCorsHandler({ allowedOrigins: ["*"] });
    const s = http.createServer((req, res) => {
      if (!handler(req, res)) res.writeHead(200).end();
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    try {
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`, {
        method: "OPTIONS",
        headers: { origin: "https://anything.example.org", "access-control-request-method": "POST" },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe("https://anything.example.org");
    } finally {
      await new Promise((r) => s.close(r));
    }
  });

  it("allows no other origin by default", async () => {
    const handler = createCorsHandler();
    const s = http.createServer((req, res) => {
      if (!handler(req, res)) res.writeHead(200).end();
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    try {
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`, {
        method: "OPTIONS",
        headers: { origin: allowed, "access-control-request-method": "POST" },
      });
      expect(res.status).toBe(403);
    } finally {
      await new Promise((r) => s.close(r));
    }
  });
});

describe("normalizeOrigin", () => {
  it("normalizes an origin as browsers send it", () => {
    expect(normalizeOrigin("HTTPS://App.Example.com/")).toBe("https://app.example.com");
    expect(normalizeOrigin("https://app.example.com:443")).toBe("https://app.example.com");
    expect(normalizeOrigin("http://127.0.0.1:5173")).toBe("http://127.0.0.1:5173");
    expect(normalizeOrigin("*")).toBe("*");
  });

  it("rejects what is not an http(s) origin", () => {
    for (const bad of ["app.example.com", "ftp://app.example.com", "https://app.example.com/path", "https://u:p@app.example.com", ""]) {
      expect(() => normalizeOrigin(bad), bad).toThrow(/CORS origin/);
    }
  });
});
