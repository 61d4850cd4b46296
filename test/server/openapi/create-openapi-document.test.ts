import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createFileRegistry, type DescService, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonService } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createOpenApiDocument } from "../../../server/openapi/create-openapi-document.js";
import { createRouteTable } from "../../../server/rest/create-route-table.js";
import { inlineService } from "../rest/inline-service.js";
import { bindingsOf, type Json, operationsOf, refsIn, resolveRef, structuralProblems } from "./openapi-assertions.js";

const root = join(import.meta.dirname, "../../..");
const services = [WorkspaceSessionService, MachineService, DaemonService];
const doc = createOpenApiDocument({ services, title: "Workspace sessions", version: "v1" }) as unknown as Json;

const schema = (name: string): Json => doc.components.schemas[name];
const deref = (s: Json): Json => (s.$ref ? (resolveRef(doc, s.$ref) as Json) : s);

describe("createOpenApiDocument", () => {
  it("builds a structurally valid OpenAPI 3.1 document whose every $ref resolves", () => {
    expect(structuralProblems(doc)).toEqual([]);
    expect(refsIn(doc).length).toBeGreaterThan(10);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
  });

  it("has an operation for every REST binding of the services and none other", () => {
    const bindings = bindingsOf(services);
    expect(bindings.size).toBe(9);
    expect(operationsOf(doc)).toEqual(bindings);
  });

  it("documents the launch request body with the seed's fields and the {status, payload} response", () => {
    const op = doc.paths["/api/v1/workspaces/{workspace_id}/sessions"].post;
    expect(op.parameters).toEqual([{ name: "workspace_id", in: "path", required: true, schema: { type: "string" } }]);
    const body = deref(op.requestBody.content["application/json"].schema);
    expect(Object.keys(body.properties).sort()).toEqual(
      [
        "machine_id",
        "user_session_id",
        "metadata",
        "initial_prompt",
        "worktree_name",
        "session_settings",
        "resume_session_id",
        "agent_session_id",
      ].sort(),
    );
    expect(body.properties.machine_id.type).toEqual(["string", "null"]);
    expect(body.properties.metadata).toMatchObject({ type: ["object", "null"], additionalProperties: true });
    const res = deref(op.responses["200"].content["application/json"].schema);
    expect(res.properties.status).toEqual({ type: "string" });
    expect(res.properties.payload).toMatchObject({ type: ["object", "null"], additionalProperties: true });
    for (const status of ["400", "401", "403", "404", "409", "429", "500", "503", "504"]) {
      const r = resolveRef(doc, op.responses[status].$ref) as Json;
      expect(deref(r.content["application/json"].schema)).toBe(schema("Error"));
    }
    expect(Object.keys(schema("Error").properties)).toEqual(["code", "message", "details", "detail"]);
  });

  it("maps nested settings, enums, 64-bit integers, timestamps and repeated fields", () => {
    const settings = deref(schema("workspaces.v1.SessionSettings").properties.code.anyOf[0]);
    expect(deref(settings.properties.providers.anyOf[0]).properties.codex.anyOf[0].$ref).toBe(
      "#/components/schemas/workspaces.v1.CodexSettings",
    );
    expect(schema("workspaces.v1.CodexSettings").properties.thinking.type).toEqual(["string", "null"]);
    const event = schema("workspaces.v1.SessionEvent");
    expect(event.properties.sequence).toMatchObject({ type: "string", format: "uint64" });
    expect(event.properties.time).toMatchObject({ type: ["string", "null"], format: "date-time" });
    expect(event.properties.exit_code.type).toEqual(["integer", "null"]);
    expect(event.properties.state).toEqual({ $ref: "#/components/schemas/workspaces.v1.SessionState" });
    expect(schema("workspaces.v1.SessionState").enum).toContain("SESSION_STATE_RUNNING");
    expect(schema("workspaces.v1.SessionState").enum).toContain("SESSION_STATE_STOPPED");
    expect(schema("workspaces.v1.SessionEventType").enum).toContain("SESSION_EVENT_TYPE_STOPPED");
    const session = schema("workspaces.v1.Session");
    expect(session.properties.stopped_by.type).toBe("string");
    expect(session.properties.stop_time).toMatchObject({ format: "date-time" });
    expect(schema("workspaces.v1.ListWorkspaceSessionsResponse").properties.sessions).toEqual({
      type: "array",
      items: { $ref: "#/components/schemas/workspaces.v1.Session" },
    });
    expect(schema("workspaces.v1.StopCommand")).toBeUndefined(); // DaemonService has no REST binding
  });

  it("turns the remaining fields of GET bindings into query parameters", () => {
    const op = doc.paths["/api/v1/workspaces/{workspace_id}/sessions"].get;
    expect(op.parameters.map((p: Json) => `${p.in}:${p.name}`)).toEqual([
      "path:workspace_id",
      "query:state",
      "query:machine_id",
      "query:page_size",
      "query:page_token",
    ]);
    const watch = doc.paths["/api/v1/workspaces/{workspace_id}/sessions/{session_id}:watch"].get;
    expect(watch.parameters.find((p: Json) => p.name === "after_sequence").schema.type).toBe("string");
  });

  it.each([
    [{ pattern: { case: "post", value: "/v1/things" }, body: "nope" }, 'body "nope" names no field'],
    [{ pattern: { case: "get", value: "/v1/{missing}" } }, 'path variable "missing"'],
    [{ pattern: { case: "get", value: "/v1/{name" } }, "unclosed variable"],
  ] as const)("refuses what the REST route table refuses, with its message: %j", (rule, why) => {
    const services = [inlineService([{ name: "Bad", rule }])];
    let message = "";
    expect(() => {
      try {
        createRouteTable(services);
      } catch (e) {
        message = (e as Error).message;
        throw e;
      }
    }).toThrow(why);
    expect(() => createOpenApiDocument({ services, title: "t", version: "1" })).toThrow(message);
  });

  it("documents server-streaming bindings as NDJSON of the message", () => {
    const watch = doc.paths["/api/v1/workspaces/{workspace_id}/sessions/{session_id}:watch"].get;
    expect(watch.responses["200"].content).toEqual({
      "application/x-ndjson": { schema: { $ref: "#/components/schemas/workspaces.v1.SessionEvent" } },
    });
  });
});

// A service written for this test, compiled by buf (which keeps comments),
// with additional bindings, `{name=**}` templates, a body field and nested
// query parameters.
const thingsProto = `syntax = "proto3";
package test.v1;
import "google/api/annotations.proto";
import "google/protobuf/duration.proto";

// ThingService keeps things.
service ThingService {
  // GetThing returns one thing. It never fails.
  rpc GetThing(GetThingRequest) returns (Thing) {
    option (google.api.http) = {
      get: "/v1/{name=things/**}"
      additional_bindings { get: "/v1/alias/{name}" }
      additional_bindings { patch: "/v1/{thing.name=things/*}" body: "thing" }
      additional_bindings { delete: "/v1/things/{name}" response_body: "tags" }
    };
  }
  rpc Ignored(GetThingRequest) returns (Thing);
}

message GetThingRequest {
  // Name of the thing.
  string name = 1;
  Thing thing = 2;
  Filter filter = 3;
  repeated int32 ids = 4;
}

message Filter {
  Kind kind = 1;
  optional string text = 2;
  google.protobuf.Duration max_age = 3;
  Filter next = 4;
}

// Kind sorts things.
enum Kind {
  KIND_UNSPECIFIED = 0;
  KIND_BIG = 1;
}

// Thing is a thing.
message Thing {
  string name = 1;
  int64 count = 2;
  repeated string tags = 3;
  map<string, int32> labels = 4;
  Thing parent = 5;
  bytes blob = 6;
  oneof shape {
    string round = 7;
    int32 sides = 8;
  }
}
`;

describe("createOpenApiDocument with additional bindings and comments", () => {
  let dir: string;
  let things: DescService;
  let launchService: DescService;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "openapi-"));
    await mkdir(join(dir, "proto/test/v1"), { recursive: true });
    await writeFile(join(dir, "proto/test/v1/things.proto"), thingsProto);
    await symlink(join(root, "node_modules/google-proto-files"), join(dir, "deps"));
    await writeFile(
      join(dir, "buf.yaml"),
      "version: v2\nmodules:\n  - path: proto\n  - path: deps\n    includes: [deps/google/api]\n",
    );
    const buf = join(root, "node_modules/.bin/buf");
    await promisify(execFile)(buf, ["build", "-o", join(dir, "image.binpb"), "--path", "proto/test"], { cwd: dir });
    // Our own API from the repository's workspace, comments included.
    await promisify(execFile)(buf, ["build", "-o", join(dir, "api.binpb"), "--path", "proto/workspaces"], { cwd: root });
    const load = async (f: string) =>
      createFileRegistry(fromBinary(FileDescriptorSetSchema, await readFile(join(dir, f))));
    things = (await load("image.binpb")).getService("test.v1.ThingService")!;
    launchService = (await load("api.binpb")).getService("workspaces.v1.WorkspaceSessionService")!;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("documents each additional binding with plain parameters for {name=**} templates", () => {
    const d = createOpenApiDocument({ services: [things], title: "t", version: "1", serverUrl: "https://x" }) as Json;
    expect(structuralProblems(d)).toEqual([]);
    expect(d.servers).toEqual([{ url: "https://x" }]);
    expect(operationsOf(d)).toEqual(bindingsOf([things]));
    expect([...operationsOf(d)].sort()).toEqual(
      ["get /v1/{name}", "get /v1/alias/{name}", "patch /v1/{thing.name}", "delete /v1/things/{name}"].sort(),
    );
    const ids = Object.values(d.paths).flatMap((item: Json) => Object.values(item).map((op: Json) => op.operationId));
    expect(new Set(ids).size).toBe(4);
  });

  it("maps body fields, response_body, nested query parameters, maps, oneofs and bytes", () => {
    const d = createOpenApiDocument({ services: [things], title: "t", version: "1" }) as Json;
    const get = d.paths["/v1/{name}"].get;
    expect(get.parameters.map((p: Json) => p.name)).toEqual([
      "name",
      "thing.name",
      "thing.count",
      "thing.tags",
      "thing.blob",
      "thing.round",
      "thing.sides",
      "filter.kind",
      "filter.text",
      "filter.max_age",
      "ids",
    ]);
    expect(get.parameters.find((p: Json) => p.name === "ids")).toMatchObject({
      in: "query",
      schema: { type: "array", items: { type: "integer", format: "int32" } },
      explode: true,
    });
    const patch = d.paths["/v1/{thing.name}"].patch;
    expect(patch.requestBody.content["application/json"].schema.anyOf[0].$ref).toBe("#/components/schemas/test.v1.Thing");
    expect(patch.parameters.map((p: Json) => p.name)).not.toContain("thing.count");
    expect(patch.parameters.map((p: Json) => p.name)).toContain("filter.kind");
    const del = d.paths["/v1/things/{name}"].delete;
    expect(del.responses["200"].content["application/json"].schema).toMatchObject({
      type: "array",
      items: { type: "string" },
    });
    const thing = d.components.schemas["test.v1.Thing"];
    expect(thing.properties.count).toMatchObject({ type: "string", format: "int64" });
    expect(thing.properties.labels).toEqual({ type: "object", additionalProperties: { type: "integer", format: "int32" } });
    expect(thing.properties.blob).toMatchObject({ type: "string", format: "byte" });
    expect(thing.properties.round.type).toEqual(["string", "null"]);
    expect(thing.properties.parent.anyOf[0].$ref).toBe("#/components/schemas/test.v1.Thing");
    // Filter travels only in the query, so it needs no component.
    expect(d.components.schemas["test.v1.Filter"]).toBeUndefined();
    expect(get.parameters.find((p: Json) => p.name === "filter.max_age").schema).toMatchObject({ type: "string" });
    expect(get.parameters.find((p: Json) => p.name === "filter.kind").schema.$ref).toBe(
      "#/components/schemas/test.v1.Kind",
    );
  });

  it("describes services, operations, messages, enums and fields from .proto comments", () => {
    const d = createOpenApiDocument({ services: [things], title: "t", version: "1" }) as Json;
    expect(d.tags).toEqual([{ name: "test.v1.ThingService", description: "ThingService keeps things." }]);
    const get = d.paths["/v1/{name}"].get;
    expect(get.summary).toBe("GetThing returns one thing");
    expect(get.description).toBe("GetThing returns one thing. It never fails.");
    expect(get.parameters[0].description).toBe("Name of the thing.");
    expect(d.components.schemas["test.v1.Thing"].description).toBe("Thing is a thing.");
    expect(d.components.schemas["test.v1.Kind"]).toEqual({
      type: "string",
      enum: ["KIND_UNSPECIFIED", "KIND_BIG"],
      description: "Kind sorts things.",
    });

    const api = createOpenApiDocument({ services: [launchService], title: "t", version: "1" }) as Json;
    expect(structuralProblems(api)).toEqual([]);
    const launch = api.paths["/api/v1/workspaces/{workspace_id}/sessions"].post;
    expect(launch.description).toContain("Idempotency-Key");
    expect(launch.description).not.toContain("buf:lint");
    expect(launch.requestBody.content["application/json"].schema.description).toContain("Launch Workspace Session");
    expect(launch.requestBody.content["application/json"].schema.properties.machine_id.description).toContain(
      "default machine",
    );
  });
});
