import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../../gen/health/v1/health_pb.js";
import { generateToken } from "../../../server/auth/api-token.js";
import { serviceOfPath } from "../../../server/auth/create-auth-gate.js";
import { allLaunchClients } from "../../e2e/harness/protocol-clients.js";
import { createListeningApp, type ListeningApp } from "../../support/listening-app.js";
import { type RawRequest, rawExchange } from "../../support/raw-exchange.js";
import { h2Close, h2Connect } from "../transport/one-port-clients.js";

let env: ListeningApp;
let revoked: string;
let machineToken: string;
let lookups: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  env = await createListeningApp();
  const t = generateToken("api");
  await env.store.createToken({ tokenId: t.tokenId, kind: "api", hashHex: t.hashHex, workspaceIds: ["ws"], machineId: undefined, now: 1 });
  await env.store.revokeToken(t.tokenId, 2);
  revoked = t.token;
  machineToken = await env.addMachine("m1");
  lookups = vi.spyOn(env.store, "findTokenByHash");
});
afterAll(async () => {
  await env?.close();
});

const launchPath = "/workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession";
const watchPath = "/workspaces.v1.WorkspaceSessionService/WatchWorkspaceSession";
const restPath = "/api/v1/workspaces/ws/sessions";

/** A request declaring a 1 MiB body of which only 16 bytes are ever sent. */
const unfinishedRequest = (target: Parameters<typeof rawExchange>[0], request: RawRequest) =>
  rawExchange(target, { body: Buffer.alloc(16, 0x7b), declaredBytes: 1024 * 1024, ...request });

describe("createAuthGate", () => {
  it("refuses missing, malformed, unknown and revoked tokens with unauthenticated on every protocol", async () => {
    const bad: [string, string | undefined][] = [
      ["missing", undefined],
      ["two words", "a b"],
      ["too long", "x".repeat(600)],
      ["unknown", `wsa_${"A".repeat(43)}`],
      ["revoked", revoked],
    ];
    let tried = 0;
    for (const client of allLaunchClients(env.url)) {
      for (const [why, token] of bad) {
        const outcome = await client.launch("ws", { initial_prompt: "hi" }, token);
        tried++;
        expect(outcome, `${client.name}, ${why}`).toMatchObject({ kind: "error", code: "unauthenticated" });
        if (outcome.kind === "error" && outcome.httpStatus !== undefined) expect(outcome.httpStatus).toBe(401);
      }
      const wrongKind = await client.launch("ws", { initial_prompt: "hi" }, machineToken);
      tried++;
      expect(wrongKind, `${client.name}, machine token`).toMatchObject({ kind: "error", code: "permission_denied" });
      client.close?.();
    }
    console.log(`createAuthGate: ${tried} calls with bad tokens over 7 protocol clients, all refused before the body`);
    expect(tried).toBe(42);
  });

  it("answers 401 before the body arrives, in each protocol's own framing", async () => {
    const session = await h2Connect(env.url);
    try {
      const rest1 = await unfinishedRequest({ url: env.url }, { path: restPath, headers: { "content-type": "application/json" } });
      expect(rest1.status).toBe(401);
      expect(JSON.parse(rest1.body.toString())).toMatchObject({ code: "unauthenticated", detail: "missing or invalid bearer token" });

      const rest2 = await unfinishedRequest({ session }, { path: restPath, headers: { "content-type": "application/json", authorization: "Bearer nope" } });
      expect(rest2.status).toBe(401);

      const connectUnary = await unfinishedRequest({ url: env.url }, { path: launchPath, headers: { "content-type": "application/json" } });
      expect(connectUnary.status).toBe(401);
      expect(JSON.parse(connectUnary.body.toString())).toEqual({ code: "unauthenticated", message: "missing or invalid bearer token" });

      const connectStream = await unfinishedRequest({ session }, { path: watchPath, headers: { "content-type": "application/connect+json" } });
      expect(connectStream.status).toBe(200);
      expect(connectStream.body[0]).toBe(0b10); // end-stream flag
      expect(JSON.parse(connectStream.body.subarray(5).toString())).toMatchObject({ error: { code: "unauthenticated" } });

      const grpc = await unfinishedRequest({ session }, { path: launchPath, headers: { "content-type": "application/grpc", te: "trailers" } });
      expect(grpc.status).toBe(200);
      expect({ ...grpc.headers, ...grpc.trailers }).toMatchObject({ "grpc-status": String(Code.Unauthenticated) });
      expect(grpc.body.length).toBe(0);

      const grpcWeb = await unfinishedRequest({ url: env.url }, { path: launchPath, headers: { "content-type": "application/grpc-web+proto" } });
      expect(grpcWeb.status).toBe(200);
      expect(grpcWeb.body[0]).toBe(0x80); // trailer frame
      expect(grpcWeb.body.subarray(5).toString()).toContain("grpc-status: 16");
      console.log("createAuthGate: 6 requests declaring 1 MiB bodies, 16 bytes sent, each answered without the rest");
    } finally {
      await h2Close(session);
    }
  });

  it("leaves health, the page, the OpenAPI document and CORS preflights open", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: env.url }));
    expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await fetch(`${env.url}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${env.url}/`)).status).not.toBe(401);
    const preflight = await fetch(`${env.url}${restPath}`, {
      method: "OPTIONS",
      headers: { origin: "https://elsewhere.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(403); // the CORS layer's answer for an origin it does not allow
  });

  it("looks each token up once per call: the interceptor reuses the gate's principal", async () => {
    lookups.mockClear();
    const res = await fetch(`${env.url}/api/v1/machines`, { headers: { authorization: `Bearer ${env.apiToken}` } });
    expect(res.status).toBe(200);
    expect(lookups).toHaveBeenCalledTimes(1);
  });
});

describe("serviceOfPath", () => {
  it("takes the service of /service/method and nothing else", () => {
    expect(serviceOfPath("/a.B/C")).toBe("a.B");
    expect(serviceOfPath("/a.B/C?x=1")).toBe("a.B");
    expect(serviceOfPath("/a.B")).toBeUndefined();
    expect(serviceOfPath("//C")).toBeUndefined();
    expect(serviceOfPath("a.B/C")).toBeUndefined();
    expect(serviceOfPath(undefined)).toBeUndefined();
  });
});

