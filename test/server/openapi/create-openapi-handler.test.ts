import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createOpenApiDocument } from "../../../server/openapi/create-openapi-document.js";
import { createOpenApiHandler } from "../../../server/openapi/create-openapi-handler.js";

const document = createOpenApiDocument({
  services: [WorkspaceSessionService, MachineService],
  title: "Workspace sessions",
  version: "v1",
});
let server: Server;
let base: string;

beforeAll(async () => {
  const openapi = createOpenApiHandler(document);
  server = createServer((req, res) => {
    if (openapi(req, res)) return;
    res.writeHead(418).end("passed on");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("createOpenApiHandler", () => {
  it("answers GET /openapi.json with the document as JSON", async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it("answers HEAD with the headers only", async () => {
    const res = await fetch(`${base}/openapi.json`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get("content-length"))).toBe(Buffer.byteLength(JSON.stringify(document)));
    expect(await res.text()).toBe("");
  });

  it("passes on every other request", async () => {
    for (const [method, path] of [
      ["GET", "/openapi.yaml"],
      ["GET", "/api/v1/machines"],
      ["POST", "/openapi.json"],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(418);
      expect(await res.text()).toBe("passed on");
    }
  });

  it("builds a document given as a function on its first request only, and never for other requests", () => {
    let built = 0;
    const lazy = createOpenApiHandler(() => {
      built++;
      return { openapi: "3.1.0" };
    });
    const answer = (url: string) => {
      const res = { writeHead: () => res, end: () => res } as unknown as Parameters<typeof lazy>[1];
      return lazy({ url, method: "GET" } as Parameters<typeof lazy>[0], res);
    };
    expect(answer("/api/v1/machines")).toBe(false);
    expect(built).toBe(0);
    expect(answer("/openapi.json")).toBe(true);
    expect(answer("/openapi.json?x=1")).toBe(true);
    expect(built).toBe(1);
  });
});

