// The launch benchmark's ceilings: servers that answer LaunchWorkspaceSession
// with a constant (the response a real launch returned), doing no auth, no
// validation, no store and no daemon round trip. A bare connect-node handler
// (every protocol Connect speaks, over HTTP/2 cleartext) and a bare
// @grpc/grpc-js server (gRPC only), each as little code as their libraries
// allow.
import http from "node:http";
import http2 from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import {
  type LaunchWorkspaceSessionRequest,
  LaunchWorkspaceSessionRequestSchema,
  type LaunchWorkspaceSessionResponse,
  LaunchWorkspaceSessionResponseSchema,
} from "../gen/workspaces/v1/launch_pb.js";
import { WorkspaceSessionService } from "../gen/workspaces/v1/workspace_session_service_pb.js";
import { launchMethodPath } from "./launch-requests.js";

export interface BareServer {
  url: string;
  close(): Promise<void>;
}

/** connect-node's handler on a plain `http2` server, answering every launch with `answer`. */
export async function startBareConnect(answer: LaunchWorkspaceSessionResponse): Promise<BareServer> {
  const handler = connectNodeAdapter({
    routes(router) {
      router.rpc(WorkspaceSessionService.method.launchWorkspaceSession, () => answer);
    },
  });
  const server = http2.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A @grpc/grpc-js server with the one method, (de)serialised by protobuf-es, answering every launch with `answer`. */
export async function startBareGrpcJs(answer: LaunchWorkspaceSessionResponse): Promise<BareServer> {
  const server = new grpc.Server();
  const definition: grpc.ServiceDefinition = {
    launchWorkspaceSession: {
      path: launchMethodPath,
      requestStream: false,
      responseStream: false,
      requestDeserialize: (bytes: Buffer) => fromBinary(LaunchWorkspaceSessionRequestSchema, bytes),
      requestSerialize: (message: LaunchWorkspaceSessionRequest) => Buffer.from(toBinary(LaunchWorkspaceSessionRequestSchema, message)),
      responseSerialize: (message: LaunchWorkspaceSessionResponse) => Buffer.from(toBinary(LaunchWorkspaceSessionResponseSchema, message)),
      responseDeserialize: (bytes: Buffer) => fromBinary(LaunchWorkspaceSessionResponseSchema, bytes),
    },
  };
  server.addService(definition, {
    launchWorkspaceSession: (_call: unknown, callback: grpc.sendUnaryData<LaunchWorkspaceSessionResponse>) => callback(null, answer),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.forceShutdown();
    },
  };
}

/** Raw `node:http` answering every request with `body` as JSON: the ceiling of the GET row. */
export async function startRawHttp(body: string): Promise<BareServer> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
