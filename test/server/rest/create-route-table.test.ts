import { getOption } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { http } from "../../../gen/google/api/annotations_pb.js";
import { MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createRouteTable, type RouteLookup } from "../../../server/rest/create-route-table.js";
import { inlineService } from "./inline-service.js";

const table = createRouteTable([WorkspaceSessionService, MachineService]);

const name = (l: RouteLookup | undefined) =>
  l?.kind === "match" ? `${l.route.method.name}(${l.values.join(",")})` : l?.kind;

describe("createRouteTable", () => {
  it("gives every annotated method of the real services a route, with no REST code per method", () => {
    let annotated = 0;
    for (const service of [WorkspaceSessionService, MachineService]) {
      for (const method of service.methods) {
        const rule = getOption(method, http);
        if (rule.pattern.case === undefined) continue;
        annotated++;
        const route = table.routes.find((r) => r.method === method);
        expect(route, method.name).toBeDefined();
        expect(route?.httpMethod).toBe(rule.pattern.case.toUpperCase());
        expect(route?.template.source).toBe(rule.pattern.value);
      }
    }
    expect(annotated).toBeGreaterThanOrEqual(7);
    expect(table.routes).toHaveLength(annotated);
    const launch = table.routes.find((r) => r.method.name === "LaunchWorkspaceSession");
    expect(launch?.body).toBe("*");
  });

  it("finds the method and binds path variables", () => {
    expect(name(table.lookup("POST", "/api/v1/workspaces/w1/sessions"))).toBe("LaunchWorkspaceSession(w1)");
    expect(name(table.lookup("GET", "/api/v1/workspaces/w1/sessions?page_size=2"))).toBe("ListWorkspaceSessions(w1)");
    expect(name(table.lookup("GET", "/api/v1/workspaces/w1/sessions/s1"))).toBe("GetWorkspaceSession(w1,s1)");
    expect(name(table.lookup("GET", "/api/v1/workspaces/w1/sessions/s1:watch"))).toBe("WatchWorkspaceSession(w1,s1)");
    expect(name(table.lookup("POST", "/api/v1/workspaces/w1/sessions/s1:stop"))).toBe("StopWorkspaceSession(w1,s1)");
    expect(name(table.lookup("GET", "/api/v1/machines"))).toBe("ListMachines()");
    expect(name(table.lookup("GET", "/api/v1/machines/m%201"))).toBe("GetMachine(m 1)");
  });

  it("answers method_not_allowed with the allowed methods when only other methods match", () => {
    expect(table.lookup("DELETE", "/api/v1/workspaces/w1/sessions")).toEqual({
      kind: "method_not_allowed",
      allowed: ["GET", "POST"],
    });
    // The verb route's 405 wins over reading ":stop" as part of a session id.
    expect(table.lookup("GET", "/api/v1/workspaces/w1/sessions/s1:stop")).toEqual({
      kind: "method_not_allowed",
      allowed: ["POST"],
    });
  });

  it("returns undefined for paths no route has, such as the RPC protocols' paths", () => {
    expect(table.lookup("POST", "/workspaces.v1.WorkspaceSessionService/LaunchWorkspaceSession")).toBeUndefined();
    expect(table.lookup("GET", "/api/v1/workspaces/w1")).toBeUndefined();
    expect(table.lookup("GET", "/api/v1/machines/")).toBeUndefined();
    expect(table.lookup("GET", "/api/v1/machines/%zz")).toBeUndefined();
    expect(table.lookup("GET", "/")).toBeUndefined();
  });

  it("reads custom patterns, additional bindings, nested fields and ** from any annotated service", () => {
    const t = createRouteTable([
      inlineService([
        {
          name: "Get",
          rule: {
            pattern: { case: "get", value: "/v1/things/{inner.id}" },
            additionalBindings: [{ pattern: { case: "get", value: "/v1/{name=files/**}:read" } }],
          },
        },
        { name: "Head", rule: { pattern: { case: "custom", value: { kind: "head", path: "/v1/things/{name}" } } } },
        { name: "Put", rule: { pattern: { case: "put", value: "/v1/things/{name}" }, body: "inner" } },
        { name: "Plain" },
      ]),
    ]);
    expect(t.routes.map((r) => `${r.httpMethod} ${r.template.source}`)).toEqual([
      "GET /v1/things/{inner.id}",
      "GET /v1/{name=files/**}:read",
      "HEAD /v1/things/{name}",
      "PUT /v1/things/{name}",
    ]);
    expect(name(t.lookup("GET", "/v1/things/a"))).toBe("Get(a)");
    expect(name(t.lookup("GET", "/v1/files/a/b:read"))).toBe("Get(files/a/b)");
    expect(name(t.lookup("HEAD", "/v1/things/a"))).toBe("Head(a)");
    const put = t.lookup("PUT", "/v1/things/a");
    expect(put?.kind === "match" && typeof put.route.body === "object" && put.route.body.name).toBe("inner");
    expect(t.lookup("POST", "/v1/things/a")).toEqual({ kind: "method_not_allowed", allowed: ["GET", "HEAD", "PUT"] });
  });

  it("prefers a literal segment and backtracks to a variable for the requested method", () => {
    const t = createRouteTable([
      inlineService([
        { name: "Literal", rule: { pattern: { case: "post", value: "/v1/things/special" } } },
        { name: "Get", rule: { pattern: { case: "get", value: "/v1/things/{name}" } } },
      ]),
    ]);
    expect(name(t.lookup("POST", "/v1/things/special"))).toBe("Literal()");
    expect(name(t.lookup("GET", "/v1/things/special"))).toBe("Get(special)");
  });

  it.each([
    [{ pattern: { case: "get", value: "/v1/{nope}" } }, 'test.v1.Things.M: path variable "nope": test.v1.Thing has no field "nope"'],
    [{ pattern: { case: "get", value: "/v1/{inner}" } }, 'path variable "inner" must name a singular scalar or enum field'],
    [{ pattern: { case: "get", value: "/v1/{tags}" } }, 'path variable "tags" must name a singular scalar or enum field'],
    [{ pattern: { case: "get", value: "/v1/{name.x}" } }, '"name" is not a message field'],
    [{ pattern: { case: "get", value: "/v1/{name" } }, 'test.v1.Things.M: invalid path template "/v1/{name"'],
    [{ pattern: { case: "post", value: "/v1/x" }, body: "nope" }, 'body "nope" names no field'],
    [{ pattern: { case: "get", value: "/v1/x" }, responseBody: "nope" }, 'response_body "nope" names no field'],
    [{ pattern: { case: "custom", value: { kind: "", path: "/v1/x" } } }, "custom HTTP pattern without a kind"],
  ] as const)("rejects a bad rule at startup (%#)", (rule, why) => {
    expect(() => createRouteTable([inlineService([{ name: "M", rule }])])).toThrow(why);
  });

  it("rejects two methods bound to the same HTTP method and path", () => {
    const service = inlineService([
      { name: "A", rule: { pattern: { case: "get", value: "/v1/things/{name}" } } },
      { name: "B", rule: { pattern: { case: "get", value: "/v1/things/{count}" } } },
    ]);
    expect(() => createRouteTable([service])).toThrow(
      "test.v1.Things.B: GET /v1/things/{count} clashes with test.v1.Things.A (GET /v1/things/{name})",
    );
  });
});
