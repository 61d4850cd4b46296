import { codeToString } from "@connectrpc/connect/protocol-connect";
import { describe, expect, it } from "vitest";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { codesWithStatus } from "../../../server/errors/http-status-from-code.js";
import { createSchemaBuilder } from "../../../server/openapi/create-schema-builder.js";
import { createOpenApiOperation, errorResponses, openApiPath } from "../../../server/openapi/create-openapi-operation.js";
import { createRouteTable } from "../../../server/rest/create-route-table.js";
import { parsePathTemplate } from "../../../server/rest/path-template.js";
import type { Json } from "./openapi-assertions.js";

describe("openApiPath", () => {
  it.each([
    ["/api/v1/workspaces/{workspace_id}/sessions", "/api/v1/workspaces/{workspace_id}/sessions"],
    ["/v1/{name=things/**}", "/v1/{name}"],
    ["/v1/{thing.name=things/*}:publish", "/v1/{thing.name}:publish"],
    ["/v1/{a}/x%20y/{b=c/*/d}/*", "/v1/{a}/x%20y/{b}/*"],
  ])("writes %s as %s", (template, path) => {
    expect(openApiPath(parsePathTemplate(template))).toBe(path);
  });
});

describe("errorResponses", () => {
  it("lists, for each documented status, the codes the one status table maps to it", () => {
    for (const [status, description] of Object.entries(errorResponses)) {
      const codes = codesWithStatus(Number(status)).map(codeToString);
      expect(codes.length, status).toBeGreaterThan(0);
      expect(description.split(":")[0]!.split(/, | or /)).toEqual(codes);
    }
    expect(errorResponses["400"]).toBe("invalid_argument, failed_precondition or out_of_range");
    expect(errorResponses["401"]).toBe("unauthenticated: missing, malformed or unknown bearer token");
  });
});

describe("createOpenApiOperation", () => {
  it("builds the operation of a route from the REST route table", () => {
    const route = createRouteTable([WorkspaceSessionService]).routes.find(
      (r) => r.method.name === "StopWorkspaceSession",
    )!;
    const op = createOpenApiOperation(route, "stop", createSchemaBuilder(() => undefined), () => undefined) as Json;
    expect(op.operationId).toBe("stop");
    expect(op["x-grpc-method"]).toBe("/workspaces.v1.WorkspaceSessionService/StopWorkspaceSession");
    expect(op.parameters.map((p: Json) => `${p.in}:${p.name}`)).toEqual(["path:workspace_id", "path:session_id"]);
    // body "*": the body is the input without its path fields.
    const body = op.requestBody.content["application/json"].schema;
    expect(Object.keys(body.properties)).not.toContain("workspace_id");
    expect(Object.keys(body.properties)).not.toContain("session_id");
    expect(Object.keys(op.responses)).toEqual(["200", ...Object.keys(errorResponses)]);
  });
});
