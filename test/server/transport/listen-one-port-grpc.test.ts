import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../../gen/health/v1/health_pb.js";
import { listenOnePort, type OnePortServer } from "../../../server/transport/listen-one-port.js";

let server: OnePortServer;

beforeAll(async () => {
  server = await listenOnePort({
    port: 0,
    handler: connectNodeAdapter({
      routes: (router) =>
        router.service(Health, {
          check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }),
        }),
    }),
  });
});
afterAll(() => server.close({ graceMs: 100 }));

describe("listenOnePort with RPC clients", () => {
  it("answers @grpc/grpc-js over h2c", async () => {
    const client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      const answer = await new Promise<HealthCheckResponse>((resolve, reject) => {
        client.makeUnaryRequest<HealthCheckRequest, HealthCheckResponse>(
          "/grpc.health.v1.Health/Check",
          (req) => Buffer.from(toBinary(HealthCheckRequestSchema, req)),
          (bytes) => fromBinary(HealthCheckResponseSchema, bytes),
          create(HealthCheckRequestSchema),
          (error, value) => (error || !value ? reject(error) : resolve(value)),
        );
      });
      expect(answer.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      client.close();
    }
  });

  it("answers Connect's gRPC transport over HTTP/2 and the Connect protocol over HTTP/1.1", async () => {
    const overH2 = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    const overH1 = createClient(Health, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
    expect((await overH2.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await overH1.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});
