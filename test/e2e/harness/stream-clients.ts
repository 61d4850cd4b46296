import { fromBinary, fromJson, type JsonValue, toBinary } from "@bufbuild/protobuf";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { type LaunchWorkspaceSessionRequest, LaunchWorkspaceSessionRequestSchema } from "../../../gen/workspaces/v1/launch_pb.js";
import { type SessionEvent, SessionEventSchema } from "../../../gen/workspaces/v1/session_pb.js";
import {
  type WatchWorkspaceSessionRequest,
  WatchWorkspaceSessionRequestSchema,
  WorkspaceSessionService,
} from "../../../gen/workspaces/v1/workspace_session_service_pb.js";

/** Server-streaming calls of WorkspaceSessionService over one protocol. */
export interface StreamClient {
  name: string;
  launchStream(workspaceId: string, body: Record<string, unknown>, token: string, signal?: AbortSignal): AsyncIterable<SessionEvent>;
  watch(request: { workspaceId: string; sessionId: string; afterSequence?: bigint }, token: string, signal?: AbortSignal): AsyncIterable<SessionEvent>;
  close?(): void;
}

export function launchRequest(workspaceId: string, body: Record<string, unknown>): LaunchWorkspaceSessionRequest {
  return fromJson(LaunchWorkspaceSessionRequestSchema, { ...body, workspace_id: workspaceId } as JsonValue);
}

function connectStreams(name: string, transport: Transport): StreamClient {
  const client: Client<typeof WorkspaceSessionService> = createClient(WorkspaceSessionService, transport);
  const headers = (token: string) => ({ Authorization: `Bearer ${token}` });
  return {
    name,
    launchStream: (workspaceId, body, token, signal) =>
      client.launchWorkspaceSessionStream(launchRequest(workspaceId, body), { headers: headers(token), ...(signal ? { signal } : {}) }),
    watch: (request, token, signal) => client.watchWorkspaceSession(request, { headers: headers(token), ...(signal ? { signal } : {}) }),
  };
}

function grpcJsStreams(url: string): StreamClient {
  const client = new grpc.Client(new URL(url).host, grpc.credentials.createInsecure());
  const service = "/workspaces.v1.WorkspaceSessionService";
  const decode = (b: Buffer) => fromBinary(SessionEventSchema, b);
  function call<I>(method: string, encode: (m: I) => Buffer, message: I, token: string, signal?: AbortSignal): AsyncIterable<SessionEvent> {
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${token}`);
    const stream = client.makeServerStreamRequest(`${service}/${method}`, encode, decode, message, metadata);
    signal?.addEventListener("abort", () => stream.cancel(), { once: true });
    return stream as AsyncIterable<SessionEvent>;
  }
  return {
    name: "gRPC (@grpc/grpc-js)",
    launchStream: (workspaceId, body, token, signal) =>
      call(
        "LaunchWorkspaceSessionStream",
        (m: LaunchWorkspaceSessionRequest) => Buffer.from(toBinary(LaunchWorkspaceSessionRequestSchema, m)),
        launchRequest(workspaceId, body),
        token,
        signal,
      ),
    watch: (request, token, signal) =>
      call(
        "WatchWorkspaceSession",
        (m: WatchWorkspaceSessionRequest) => Buffer.from(toBinary(WatchWorkspaceSessionRequestSchema, m)),
        fromJson(WatchWorkspaceSessionRequestSchema, {
          workspace_id: request.workspaceId,
          session_id: request.sessionId,
          after_sequence: String(request.afterSequence ?? 0n),
        }),
        token,
        signal,
      ),
    close: () => client.close(),
  };
}

/** One stream client per protocol and HTTP version the server speaks. */
export function allStreamClients(url: string): StreamClient[] {
  return [
    grpcJsStreams(url),
    connectStreams("gRPC (Connect transport, HTTP/2)", createGrpcTransport({ baseUrl: url })),
    connectStreams("gRPC-Web over HTTP/1.1", createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" })),
    connectStreams("gRPC-Web over HTTP/2", createGrpcWebTransport({ baseUrl: url, httpVersion: "2" })),
    connectStreams("Connect JSON over HTTP/1.1", createConnectTransport({ baseUrl: url, httpVersion: "1.1" })),
    connectStreams("Connect binary over HTTP/2", createConnectTransport({ baseUrl: url, httpVersion: "2", useBinaryFormat: true })),
  ];
}

/** Collects a stream's events, skipping heartbeats, until it ends. */
export async function collect(stream: AsyncIterable<SessionEvent>, options: { keepHeartbeats?: boolean; max?: number } = {}): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  for await (const event of stream) {
    if (event.sequence === 0n && !options.keepHeartbeats) continue;
    events.push(event);
    if (options.max !== undefined && events.length >= options.max) break;
  }
  return events;
}
