// The one launch every row of the launch benchmark sends, written as each
// protocol carries it: the path, the headers and the body bytes (h2load reads
// the body from a file). No worktree_name and no Idempotency-Key, so every
// copy of it is a new session the daemon acknowledges.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { LaunchWorkspaceSessionRequestSchema } from "../gen/workspaces/v1/launch_pb.js";

/** The protocols a launch is measured over. */
export type Protocol = "grpc" | "grpc-web" | "connect-proto" | "connect-json" | "rest";

export const protocolNames: Record<Protocol, string> = {
  grpc: "gRPC",
  "grpc-web": "gRPC-Web",
  "connect-proto": "Connect binary",
  "connect-json": "Connect JSON",
  rest: "REST",
};

export const launchMethodPath = "/workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession";

export interface LaunchRequest {
  /** Path of the call on the server (no host). */
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** A gRPC and gRPC-Web message frame: flag byte 0, big-endian length, message. */
export function grpcFrame(message: Uint8Array): Uint8Array {
  const frame = new Uint8Array(5 + message.length);
  new DataView(frame.buffer).setUint32(1, message.length);
  frame.set(message, 5);
  return frame;
}

/** The launch of `machineId` in `workspaceId` over `protocol`, authorised by `token` (omitted for the bare servers). */
export function launchRequest(protocol: Protocol, workspaceId: string, machineId: string, token?: string): LaunchRequest {
  const message = create(LaunchWorkspaceSessionRequestSchema, { workspaceId, machineId, initialPrompt: "bench" });
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  switch (protocol) {
    case "grpc":
      return { path: launchMethodPath, headers: { ...auth, "content-type": "application/grpc", te: "trailers" }, body: grpcFrame(toBinary(LaunchWorkspaceSessionRequestSchema, message)) };
    case "grpc-web":
      return {
        path: launchMethodPath,
        headers: { ...auth, "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
        body: grpcFrame(toBinary(LaunchWorkspaceSessionRequestSchema, message)),
      };
    case "connect-proto":
      return {
        path: launchMethodPath,
        headers: { ...auth, "content-type": "application/proto", "connect-protocol-version": "1" },
        body: toBinary(LaunchWorkspaceSessionRequestSchema, message),
      };
    case "connect-json":
      return {
        path: launchMethodPath,
        headers: { ...auth, "content-type": "application/json", "connect-protocol-version": "1" },
        body: new TextEncoder().encode(toJsonString(LaunchWorkspaceSessionRequestSchema, message)),
      };
    case "rest":
      return {
        path: `/api/v1/workspaces/${workspaceId}/sessions`,
        headers: { ...auth, "content-type": "application/json" },
        body: new TextEncoder().encode(JSON.stringify({ machine_id: machineId, initial_prompt: "bench" })),
      };
  }
}

/** Writes the request's body to `dir` (for h2load's `-d`) and returns the file's path. */
export async function writeBody(dir: string, label: string, request: LaunchRequest): Promise<string> {
  const file = path.join(dir, `${label}.body`);
  await writeFile(file, request.body);
  return file;
}
