import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createFileRegistry, type DescService, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenApiDocument } from "../../../server/openapi/create-openapi-document.js";
import { bindingsOf, type Json, operationsOf, structuralProblems } from "./openapi-assertions.js";

// Runs `buf build` (a process): these cases are in the e2e project.
const root = join(import.meta.dirname, "../../..");

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
