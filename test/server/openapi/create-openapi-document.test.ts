import { describe, expect, it } from "vitest";
import { DaemonService } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { TokenService } from "../../../gen/workspaces/v1/token_service_pb.js";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createOpenApiDocument } from "../../../server/openapi/create-openapi-document.js";
import { createRouteTable } from "../../../server/rest/create-route-table.js";
import { inlineService } from "../rest/inline-service.js";
import { bindingsOf, type Json, operationsOf, refsIn, resolveRef, structuralProblems } from "./openapi-assertions.js";

const services = [WorkspaceSessionService, MachineService, TokenService, DaemonService];
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
    // 8 session routes (WatchWorkspaceSessions among them), 3 machine routes (RegisterMachine among them), 3 token routes.
    expect(bindings.size).toBe(14);
    expect(operationsOf(doc)).toEqual(bindings);
  });

  it("documents the launch request body with the seed's fields and the {status, payload} response", () => {
    const op = doc.paths["/api/v1/workspaces/{workspace_id}/sessions"].post;
    expect(op.parameters.map((p: Json) => `${p.in}:${p.name}`)).toEqual(["header:Idempotency-Key", "path:workspace_id"]);
    expect(op.parameters[1]).toMatchObject({ required: true, schema: { type: "string", pattern: expect.any(String) } });
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
    expect(res.properties.status).toMatchObject({ type: "string" });
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
    expect(schema("workspaces.v1.CodexSettings").properties.thinking.anyOf[1]).toEqual({ type: "null" });
    const event = schema("workspaces.v1.SessionEvent");
    expect(event.properties.sequence).toMatchObject({ type: "string", format: "uint64" });
    expect(event.properties.time).toMatchObject({ type: ["string", "null"], format: "date-time" });
    expect(event.properties.exit_code.type).toEqual(["integer", "null"]);
    expect(event.properties.state).toMatchObject({ $ref: "#/components/schemas/workspaces.v1.SessionState" });
    expect(schema("workspaces.v1.SessionState").enum).toContain("SESSION_STATE_RUNNING");
    expect(schema("workspaces.v1.SessionState").enum).toContain("SESSION_STATE_STOPPED");
    expect(schema("workspaces.v1.SessionEventType").enum).toContain("SESSION_EVENT_TYPE_STOPPED");
    const session = schema("workspaces.v1.Session");
    expect(session.properties.stopped_by.type).toBe("string");
    expect(session.properties.stop_time).toMatchObject({ format: "date-time" });
    expect(schema("workspaces.v1.ListWorkspaceSessionsResponse").properties.sessions).toMatchObject({
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
