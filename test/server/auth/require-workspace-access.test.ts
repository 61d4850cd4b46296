import { Code, ConnectError, createContextValues, createHandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { kPrincipal, type Principal } from "../../../server/auth/principal.js";
import { requirePrincipal, requireWorkspaceAccess, workspaceNotFound } from "../../../server/auth/require-workspace-access.js";

function context(principal: Principal | undefined) {
  const contextValues = createContextValues();
  if (principal !== undefined) contextValues.set(kPrincipal, principal);
  return createHandlerContext({
    service: WorkspaceSessionService,
    method: WorkspaceSessionService.method.launchWorkspaceSession,
    protocolName: "connect",
    requestMethod: "POST",
    url: "http://localhost/",
    contextValues,
  });
}

function thrown(fn: () => unknown): ConnectError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }
  throw new Error("expected an error");
}

const api: Principal = { kind: "api", tokenId: "tok_1", workspaceIds: new Set(["w1"]), scopes: new Set(["sessions" as const]) };

describe("requirePrincipal", () => {
  it("returns the principal the interceptor set", () => {
    expect(requirePrincipal(context(api))).toBe(api);
  });

  it("is unauthenticated without one", () => {
    expect(thrown(() => requirePrincipal(context(undefined))).code).toBe(Code.Unauthenticated);
  });
});

describe("requireWorkspaceAccess", () => {
  it("returns the API principal for a workspace its token covers", () => {
    expect(requireWorkspaceAccess(context(api), "w1")).toBe(api);
  });

  it("answers not_found for another workspace, exactly like a missing one", () => {
    const err = thrown(() => requireWorkspaceAccess(context(api), "w2"));
    expect(err.code).toBe(Code.NotFound);
    expect(err.rawMessage).toBe("workspace w2 not found");
    expect(err.rawMessage).toBe(workspaceNotFound("w2").rawMessage);
    expect(err.code).toBe(workspaceNotFound("w2").code);
  });

  it("answers not_found for a machine principal", () => {
    const machine: Principal = { kind: "machine", tokenId: "tok_2", machineId: "m1", workspaceId: "w1" };
    expect(thrown(() => requireWorkspaceAccess(context(machine), "w1")).code).toBe(Code.NotFound);
  });
});
