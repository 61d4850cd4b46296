import http2 from "node:http2";
import { fromBinary, fromJson, type JsonObject, type JsonValue, toBinary, toJson } from "@bufbuild/protobuf";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import {
  type LaunchWorkspaceSessionRequest,
  LaunchWorkspaceSessionRequestSchema,
  type LaunchWorkspaceSessionResponse,
  LaunchWorkspaceSessionResponseSchema,
} from "../../../gen/workspaces/v1/launch_pb.js";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";

/** What a launch came back with, the same shape whatever the protocol. */
export type LaunchOutcome =
  /** `typed`: the response's fields beside `status` and `payload`, by their proto names. */
  | { kind: "ok"; status: string; payload: JsonObject; typed: JsonObject }
  | { kind: "error"; code: string; message: string; httpStatus?: number };

export interface LaunchClient {
  name: string;
  launch(workspaceId: string, body: Record<string, unknown>, token: string | undefined): Promise<LaunchOutcome>;
  close?(): void;
}

function requestOf(workspaceId: string, body: Record<string, unknown>): LaunchWorkspaceSessionRequest {
  return fromJson(LaunchWorkspaceSessionRequestSchema, { ...body, workspace_id: workspaceId } as JsonValue);
}

function fromResponse(res: LaunchWorkspaceSessionResponse): LaunchOutcome {
  const { status: _status, payload: _payload, ...typed } = toJson(LaunchWorkspaceSessionResponseSchema, res, { useProtoFieldName: true }) as JsonObject;
  return { kind: "ok", status: res.status, payload: res.payload ?? {}, typed };
}

function connectClient(name: string, transport: Transport): LaunchClient {
  const client = createClient(WorkspaceSessionService, transport);
  return {
    name,
    async launch(workspaceId, body, token) {
      try {
        const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
        return fromResponse(await client.launchWorkspaceSession(requestOf(workspaceId, body), { headers }));
      } catch (error) {
        const e = ConnectError.from(error);
        return { kind: "error", code: codeToString(e.code), message: e.rawMessage };
      }
    },
  };
}

export function grpcJsClient(url: string): LaunchClient {
  const path = "/workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession";
  const client = new grpc.Client(new URL(url).host, grpc.credentials.createInsecure());
  return {
    name: "gRPC (@grpc/grpc-js)",
    launch(workspaceId, body, token) {
      const metadata = new grpc.Metadata();
      if (token) metadata.set("authorization", `Bearer ${token}`);
      return new Promise((resolve) => {
        client.makeUnaryRequest(
          path,
          (m: LaunchWorkspaceSessionRequest) => Buffer.from(toBinary(LaunchWorkspaceSessionRequestSchema, m)),
          (b: Buffer) => fromBinary(LaunchWorkspaceSessionResponseSchema, b),
          requestOf(workspaceId, body),
          metadata,
          (error: grpc.ServiceError | null, res?: LaunchWorkspaceSessionResponse) => {
            if (error) resolve({ kind: "error", code: codeToString(error.code as number), message: error.details });
            else resolve(fromResponse(res!));
          },
        );
      });
    },
    close: () => client.close(),
  };
}

interface RestBody {
  status?: string;
  payload?: JsonObject;
  code?: string;
  message?: string;
  [field: string]: JsonValue | undefined;
}

function restOutcome(httpStatus: number, body: RestBody): LaunchOutcome {
  if (httpStatus === 200) {
    const { status, payload, ...typed } = body;
    return { kind: "ok", status: status ?? "", payload: payload ?? {}, typed: typed as JsonObject };
  }
  return { kind: "error", code: body.code ?? "", message: body.message ?? "", httpStatus };
}

export function restHttp1Client(url: string): LaunchClient {
  return {
    name: "REST over HTTP/1.1",
    async launch(workspaceId, body, token) {
      const res = await fetch(`${url}/api/v1/workspaces/${workspaceId}/sessions`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
      return restOutcome(res.status, (await res.json()) as RestBody);
    },
  };
}

function restHttp2Client(url: string): LaunchClient {
  const session = http2.connect(url);
  return {
    name: "REST over HTTP/2",
    launch(workspaceId, body, token) {
      return new Promise((resolve, reject) => {
        const req = session.request({
          ":method": "POST",
          ":path": `/api/v1/workspaces/${workspaceId}/sessions`,
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        });
        let status = 0;
        let text = "";
        req.on("response", (headers) => {
          status = Number(headers[":status"]);
        });
        req.setEncoding("utf8");
        req.on("data", (d: string) => {
          text += d;
        });
        req.on("end", () => resolve(restOutcome(status, JSON.parse(text) as RestBody)));
        req.on("error", reject);
        req.end(JSON.stringify(body));
      });
    },
    close: () => session.close(),
  };
}

/** One client per protocol and encoding the server speaks, all on the same port. */
export function allLaunchClients(url: string): LaunchClient[] {
  return [
    grpcJsClient(url),
    connectClient("gRPC (Connect transport)", createGrpcTransport({ baseUrl: url })),
    connectClient("gRPC-Web", createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" })),
    connectClient("Connect JSON over HTTP/1.1", createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: false })),
    connectClient("Connect binary over HTTP/2", createConnectTransport({ baseUrl: url, httpVersion: "2", useBinaryFormat: true })),
    restHttp1Client(url),
    restHttp2Client(url),
  ];
}

