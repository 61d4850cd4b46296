import { execFile } from "node:child_process";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { create, createFileRegistry, fromBinary, getOption } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http } from "../../../gen/google/api/annotations_pb.js";
import * as v1 from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { file_workspaces_v1_daemon_service } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { file_workspaces_v1_machine_service } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import {
  file_workspaces_v1_workspace_session_service,
  GetWorkspaceSessionResponseSchema,
  WorkspaceSessionService,
} from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createDescFileRegistry } from "../../../server/reflection/create-desc-file-registry.js";
import { createReflectionServices } from "../../../server/reflection/create-reflection-services.js";

const run = promisify(execFile);
const buf = join(import.meta.dirname, "../../../node_modules/.bin/buf");

let server: http2.Http2Server;
let baseUrl: string;
const sessions = new Set<http2.ServerHttp2Session>();

beforeAll(async () => {
  const registry = createDescFileRegistry(
    file_workspaces_v1_workspace_session_service,
    file_workspaces_v1_machine_service,
    file_workspaces_v1_daemon_service,
  );
  const reflection = createReflectionServices({
    registry,
    serviceNames: [WorkspaceSessionService.typeName],
  });
  const handler = connectNodeAdapter({
    routes(router) {
      router.service(WorkspaceSessionService, {
        getWorkspaceSession: (req) =>
          create(GetWorkspaceSessionResponseSchema, {
            session: { sessionId: req.sessionId, workspaceId: req.workspaceId, state: SessionState.RUNNING },
          }),
      });
      for (const { service, impl } of reflection) router.service(service, impl);
    },
  });
  server = http2.createServer(handler);
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sessions) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await run(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], {
    timeout: 20_000,
  });
  return stdout;
}

type Request = Parameters<typeof create<typeof v1.ServerReflectionRequestSchema>>[1];

async function ask(requests: Request[]): Promise<v1.ServerReflectionResponse[]> {
  const client = createClient(v1.ServerReflection, createGrpcTransport({ baseUrl }));
  async function* input() {
    for (const r of requests) yield create(v1.ServerReflectionRequestSchema, r);
  }
  const out: v1.ServerReflectionResponse[] = [];
  for await (const res of client.serverReflectionInfo(input())) out.push(res);
  return out;
}

function files(res: v1.ServerReflectionResponse | v1alpha.ServerReflectionResponse | undefined): FileDescriptorProto[] {
  if (res?.messageResponse.case !== "fileDescriptorResponse") {
    throw new Error(`expected files, got ${res?.messageResponse.case}`);
  }
  return res.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
}

/** The files ordered so that each comes after its imports; throws on an import missing from the set. */
function dependenciesFirst(protos: FileDescriptorProto[]): FileDescriptorProto[] {
  const byName = new Map(protos.map((p) => [p.name, p]));
  const out: FileDescriptorProto[] = [];
  const done = new Set<string>();
  const visit = (p: FileDescriptorProto): void => {
    if (done.has(p.name)) return;
    done.add(p.name);
    for (const dep of p.dependency) {
      const d = byName.get(dep);
      if (d === undefined) throw new Error(`${p.name} imports ${dep}, which the answer lacks`);
      visit(d);
    }
    out.push(p);
  };
  for (const p of protos) visit(p);
  return out;
}

describe("createReflectionServices", () => {
  it("lists the served services to buf curl --list-services", async () => {
    const lines = (await bufCurl("--list-services", baseUrl)).trim().split("\n");
    expect(lines).toContain("workspaces.v1.WorkspaceSessionService");
    expect(lines).toContain("grpc.reflection.v1.ServerReflection");
    expect(lines).toContain("grpc.reflection.v1alpha.ServerReflection");
  });

  it("lists a service's methods to buf curl --list-methods", async () => {
    const lines = (await bufCurl("--list-methods", baseUrl)).trim().split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        "workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession",
        "workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSessionStream",
        "workspaces.v1.WorkspaceSessionService/GetWorkspaceSession",
        "workspaces.v1.WorkspaceSessionService/StopWorkspaceSession",
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      ]),
    );
  });

  it.each(["grpc-v1", "grpc-v1alpha"])("gives buf curl a schema it can call a method with (%s)", async (protocol) => {
    const out = await bufCurl(
      "--reflect-protocol",
      protocol,
      "-d",
      '{"workspace_id": "ws-1", "session_id": "s-1"}',
      `${baseUrl}/workspaces.v1.WorkspaceSessionService/GetWorkspaceSession`,
    );
    expect(JSON.parse(out)).toEqual({
      session: { sessionId: "s-1", workspaceId: "ws-1", state: "SESSION_STATE_RUNNING" },
    });
  });

  it("answers file_containing_symbol with the file first and a self-contained closure (v1)", async () => {
    const [res] = await ask([
      { host: "h", messageRequest: { case: "fileContainingSymbol", value: "workspaces.v1.WorkspaceSessionService" } },
    ]);
    expect(res?.validHost).toBe("h");
    expect(res?.originalRequest?.messageRequest.value).toBe("workspaces.v1.WorkspaceSessionService");
    const protos = files(res);
    expect(protos[0]?.name).toBe("workspaces/v1/workspace_session_service.proto");
    const names = protos.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "workspaces/v1/launch.proto",
        "workspaces/v1/session.proto",
        "google/api/annotations.proto",
        "google/api/http.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/struct.proto",
        "google/protobuf/timestamp.proto",
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
    // The closure alone rebuilds the service, annotations included.
    const rebuilt = createFileRegistry(create(FileDescriptorSetSchema, { file: dependenciesFirst(protos) }));
    const launch = rebuilt.getService("workspaces.v1.WorkspaceSessionService")?.method.launchWorkspaceSession;
    expect(launch).toBeDefined();
    const rule = getOption(launch!, http);
    expect(rule.pattern).toEqual({ case: "post", value: "/api/v1/workspaces/{workspace_id}/sessions" });
  });

  it("finds methods, messages, nested fields, enums and enum values", async () => {
    const symbols: [string, string][] = [
      ["workspaces.v1.WorkspaceSessionService.LaunchWorkspaceSession", "workspaces/v1/workspace_session_service.proto"],
      ["workspaces.v1.LaunchWorkspaceSessionRequest", "workspaces/v1/launch.proto"],
      ["workspaces.v1.LaunchWorkspaceSessionRequest.machine_id", "workspaces/v1/launch.proto"],
      ["workspaces.v1.SessionState", "workspaces/v1/session.proto"],
      ["workspaces.v1.SESSION_STATE_RUNNING", "workspaces/v1/session.proto"],
      ["workspaces.v1.DaemonCommand.kind", "workspaces/v1/daemon_service.proto"],
      ["google.protobuf.Struct", "google/protobuf/struct.proto"],
      ["google.api.http", "google/api/annotations.proto"],
    ];
    const responses = await ask(symbols.map(([s]) => ({ messageRequest: { case: "fileContainingSymbol", value: s } })));
    expect(responses.map((r) => files(r)[0]?.name)).toEqual(symbols.map(([, f]) => f));
  });

  it("answers NOT_FOUND for unknown names and keeps the stream open", async () => {
    const responses = await ask([
      { messageRequest: { case: "fileContainingSymbol", value: "workspaces.v1.Nope" } },
      { messageRequest: { case: "fileByFilename", value: "nope.proto" } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "workspaces.v1.Nope" } },
      { messageRequest: { case: "fileContainingExtension", value: { containingType: "x.Y", extensionNumber: 1 } } },
      { messageRequest: { case: "listServices", value: "" } },
    ]);
    for (const r of responses.slice(0, 4)) {
      expect(r.messageResponse.case).toBe("errorResponse");
      expect(r.messageResponse.value).toMatchObject({ errorCode: Code.NotFound });
    }
    expect(responses[4]?.messageResponse.case).toBe("listServicesResponse");
  });

  it("answers file_by_filename, file_containing_extension and all_extension_numbers_of_type", async () => {
    const [byName, byExt, numbers] = await ask([
      { messageRequest: { case: "fileByFilename", value: "workspaces/v1/machine_service.proto" } },
      {
        messageRequest: {
          case: "fileContainingExtension",
          value: { containingType: "google.protobuf.MethodOptions", extensionNumber: http.number },
        },
      },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "google.protobuf.MethodOptions" } },
    ]);
    expect(files(byName)[0]?.name).toBe("workspaces/v1/machine_service.proto");
    expect(files(byExt)[0]?.name).toBe("google/api/annotations.proto");
    expect(numbers?.messageResponse).toEqual({
      case: "allExtensionNumbersResponse",
      value: expect.objectContaining({ baseTypeName: "google.protobuf.MethodOptions", extensionNumber: [http.number] }),
    });
  });

  it("serves the same answers under grpc.reflection.v1alpha", async () => {
    const client = createClient(v1alpha.ServerReflection, createGrpcTransport({ baseUrl }));
    async function* input() {
      yield create(v1alpha.ServerReflectionRequestSchema, {
        messageRequest: { case: "fileContainingSymbol", value: "workspaces.v1.LaunchWorkspaceSessionResponse" },
      });
      yield create(v1alpha.ServerReflectionRequestSchema, {
        messageRequest: { case: "fileContainingSymbol", value: "workspaces.v1.Missing" },
      });
    }
    const out: v1alpha.ServerReflectionResponse[] = [];
    for await (const res of client.serverReflectionInfo(input())) out.push(res);
    expect(out[0]?.$typeName).toBe("grpc.reflection.v1alpha.ServerReflectionResponse");
    expect(files(out[0]).map((f) => f.name)).toEqual(["workspaces/v1/launch.proto", "google/protobuf/struct.proto"]);
    expect(out[1]?.messageResponse).toEqual({
      case: "errorResponse",
      value: expect.objectContaining({ errorCode: Code.NotFound }),
    });
  });
});
