import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { MachineService } from "../gen/workspaces/v1/machine_service_pb.js";
import { PermissionService } from "../gen/workspaces/v1/permission_service_pb.js";
import { TokenService } from "../gen/workspaces/v1/token_service_pb.js";
import { WebhookService } from "../gen/workspaces/v1/webhook_service_pb.js";
import { WorkspaceSessionService } from "../gen/workspaces/v1/workspace_session_service_pb.js";

/** The wire protocols the server speaks on its one port. */
export type WorkspaceProtocol = "connect" | "grpc" | "grpc-web";

export const workspaceProtocols: readonly WorkspaceProtocol[] = ["connect", "grpc", "grpc-web"];

export interface WorkspaceClientOptions {
  /** Server URL, for example `http://127.0.0.1:8080` or `https://wsctl.example.com`. */
  baseUrl: string;
  /** API token (`wsa_...`), sent as `Authorization: Bearer <token>` on every call. */
  token: string;
  /** Wire protocol (default `connect`). */
  protocol?: WorkspaceProtocol;
  /** HTTP version (default `2` for gRPC, which needs it, `1.1` otherwise). Over `http://`, `2` means h2c. */
  httpVersion?: "1.1" | "2";
  /**
   * Deadline of unary calls in milliseconds (default 30000). Streaming calls
   * (launch-and-follow, watch) run until they end or are aborted; pass
   * `timeoutMs` on a call to bound one. A call's own `timeoutMs` always wins.
   */
  timeoutMs?: number;
  /** Protobuf binary (the default, as in connect-node) or, with `false`, JSON on the wire. */
  useBinaryFormat?: boolean;
  /** Interceptors run after the one that adds the token. */
  interceptors?: Interceptor[];
}

/** The generated service clients, with auth and deadlines set. */
export interface WorkspaceClient {
  sessions: Client<typeof WorkspaceSessionService>;
  machines: Client<typeof MachineService>;
  /** Needs a token with the `admin` scope. */
  tokens: Client<typeof TokenService>;
  /** Needs a token with the `admin` scope. */
  webhooks: Client<typeof WebhookService>;
  /** The agents' permission requests: list the pending ones, answer one. */
  permissions: Client<typeof PermissionService>;
}

/** Default deadline of unary calls. */
export const defaultUnaryTimeoutMs = 30_000;

/** An interceptor adding `Authorization: Bearer <token>` unless the call sets its own. */
export function bearerAuth(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (next) => (req) => {
    if (!req.header.has("Authorization")) req.header.set("Authorization", value);
    return next(req);
  };
}

/**
 * Typed clients for `WorkspaceSessionService`, `MachineService`, `TokenService`, `WebhookService`
 * and `PermissionService` over one Node transport (connect-node: HTTP/1.1 or HTTP/2, TLS for `https://`).
 *
 * ```ts
 * const client = createWorkspaceClient({ baseUrl: "http://127.0.0.1:8080", token: process.env.WSCTL_TOKEN! });
 * const res = await client.sessions.launchWorkspaceSession({ workspaceId: "acme", initialPrompt: "fix the tests" });
 * for await (const ev of client.sessions.watchWorkspaceSession({ workspaceId: "acme", sessionId: String(res.payload?.session_id) })) {
 *   console.log(ev.type, ev.state);
 * }
 * ```
 */
export function createWorkspaceClient(options: WorkspaceClientOptions): WorkspaceClient {
  const transport = createWorkspaceTransport(options);
  return {
    sessions: createClient(WorkspaceSessionService, transport),
    machines: createClient(MachineService, transport),
    tokens: createClient(TokenService, transport),
    webhooks: createClient(WebhookService, transport),
    permissions: createClient(PermissionService, transport),
  };
}

/** The transport behind `createWorkspaceClient`, for callers that build other clients on it. */
export function createWorkspaceTransport(options: WorkspaceClientOptions): Transport {
  const protocol = options.protocol ?? "connect";
  const httpVersion = options.httpVersion ?? (protocol === "grpc" ? "2" : "1.1");
  const common = {
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    interceptors: [bearerAuth(options.token), ...(options.interceptors ?? [])],
    defaultTimeoutMs: options.timeoutMs ?? defaultUnaryTimeoutMs,
    ...(options.useBinaryFormat !== undefined ? { useBinaryFormat: options.useBinaryFormat } : {}),
  };
  const withVersion = httpVersion === "2" ? { ...common, httpVersion: "2" as const } : { ...common, httpVersion: "1.1" as const };
  let transport: Transport;
  switch (protocol) {
    case "connect":
      transport = createConnectTransport(withVersion);
      break;
    case "grpc":
      transport = createGrpcTransport(withVersion);
      break;
    case "grpc-web":
      transport = createGrpcWebTransport(withVersion);
      break;
    default:
      throw new Error(`unknown protocol ${JSON.stringify(protocol)}: use connect, grpc or grpc-web`);
  }
  return unboundedStreams(transport);
}

/**
 * The transport's `defaultTimeoutMs` applies to streams too, which would cut a
 * watch off after 30 s; streams get no deadline unless the call asks for one.
 */
function unboundedStreams(transport: Transport): Transport {
  return {
    unary: transport.unary.bind(transport),
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      transport.stream(method, signal, timeoutMs ?? 0, header, input, contextValues),
  };
}
