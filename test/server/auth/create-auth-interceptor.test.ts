import { create, type DescMethodUnary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type StreamRequest,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { DaemonService, SubscribeRequestSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { WorkspaceSessionService } from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { generateToken } from "../../../server/auth/api-token.js";
import { createAuthInterceptor } from "../../../server/auth/create-auth-interceptor.js";
import { kPrincipal, type Principal } from "../../../server/auth/principal.js";
import { createFakeTokenStore, type FakeTokenStore } from "./fake-token-store.js";

function unaryRequest(method: DescMethodUnary, authorization?: string, signal = new AbortController().signal): UnaryRequest {
  const header = new Headers(authorization === undefined ? {} : { authorization });
  return {
    stream: false,
    service: method.parent,
    method,
    requestMethod: "POST",
    url: `http://localhost/${method.parent.typeName}/${method.name}`,
    signal,
    header,
    contextValues: createContextValues(),
    message: create(method.input),
  };
}

const launch = WorkspaceSessionService.method.launchWorkspaceSession;
const acknowledge = DaemonService.method.acknowledge;

/** Runs the interceptor with a `next` that records what it saw; resolves to that principal. */
async function call(fake: FakeTokenStore, req: UnaryRequest | StreamRequest, publicServices?: string[]) {
  let seen: Principal | undefined;
  let called = false;
  const next = async (r: UnaryRequest | StreamRequest) => {
    called = true;
    seen = r.contextValues.get(kPrincipal);
    return { stream: false, service: r.service, method: r.method, header: new Headers(), trailer: new Headers(), message: {} } as unknown as UnaryResponse;
  };
  await createAuthInterceptor({ store: fake.store, publicServices })(next)(req);
  return { called, principal: seen };
}

async function callError(fake: FakeTokenStore, req: UnaryRequest): Promise<ConnectError> {
  try {
    await call(fake, req);
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }
  throw new Error("expected the call to be rejected");
}

describe("createAuthInterceptor", () => {
  let fake: FakeTokenStore;
  const api = generateToken("api");
  const machine = generateToken("machine");
  const revoked = generateToken("api");

  beforeEach(() => {
    fake = createFakeTokenStore();
    fake.tokens.push(
      { tokenId: api.tokenId, kind: "api", hashHex: api.hashHex, workspaceIds: ["w1", "w2"], machineId: undefined, scopes: ["sessions"], label: "", createdAt: 1, revokedAt: undefined },
      { tokenId: machine.tokenId, kind: "machine", hashHex: machine.hashHex, workspaceIds: [], machineId: "m1", scopes: [], label: "", createdAt: 1, revokedAt: undefined },
      { tokenId: revoked.tokenId, kind: "api", hashHex: revoked.hashHex, workspaceIds: ["w1"], machineId: undefined, scopes: ["sessions"], label: "", createdAt: 1, revokedAt: 2 },
    );
    fake.machines.push({ machineId: "m1", workspaceId: "w1", daemonVersion: "", hostname: "", lastSeenAt: undefined, createdAt: 1 });
  });

  it("rejects a call without an authorization header as unauthenticated", async () => {
    const err = await callError(fake, unaryRequest(launch));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toBe("missing or invalid bearer token");
  });

  it("rejects a malformed header without asking the store", async () => {
    for (const value of ["garbage", `Basic ${api.token}`, `Bearer  ${api.token}`, `Bearer ${api.token} x`, "Bearer "]) {
      const err = await callError(fake, unaryRequest(launch, value));
      expect(err.code).toBe(Code.Unauthenticated);
    }
    expect(fake.signals).toHaveLength(0);
  });

  it("rejects an unknown token and never echoes it", async () => {
    const unknown = generateToken("api").token;
    const err = await callError(fake, unaryRequest(launch, `Bearer ${unknown}`));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.message).not.toContain(unknown);
    expect(err.message).not.toContain(unknown.slice(4, 20));
  });

  it("rejects a revoked token", async () => {
    const err = await callError(fake, unaryRequest(launch, `Bearer ${revoked.token}`));
    expect(err.code).toBe(Code.Unauthenticated);
  });

  it("rejects a revoked token even if a store returned it", async () => {
    fake.store.findTokenByHash = async (hashHex) => fake.tokens.find((t) => t.hashHex === hashHex);
    const err = await callError(fake, unaryRequest(launch, `Bearer ${revoked.token}`));
    expect(err.code).toBe(Code.Unauthenticated);
  });

  it("rejects a machine token whose machine no longer exists", async () => {
    fake.machines.length = 0;
    const err = await callError(fake, unaryRequest(acknowledge, `Bearer ${machine.token}`));
    expect(err.code).toBe(Code.Unauthenticated);
  });

  it("denies an API token on DaemonService", async () => {
    const err = await callError(fake, unaryRequest(acknowledge, `Bearer ${api.token}`));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toBe("API tokens cannot call DaemonService");
  });

  it("denies a machine token on WorkspaceSessionService and MachineService", async () => {
    for (const method of [launch, MachineService.method.listMachines]) {
      const err = await callError(fake, unaryRequest(method, `Bearer ${machine.token}`));
      expect(err.code).toBe(Code.PermissionDenied);
      expect(err.rawMessage).toBe("machine tokens can only call DaemonService");
    }
  });

  it("sets the API principal with its workspaces", async () => {
    const { called, principal } = await call(fake, unaryRequest(launch, `bearer ${api.token}`));
    expect(called).toBe(true);
    expect(principal).toEqual({ kind: "api", tokenId: api.tokenId, workspaceIds: new Set(["w1", "w2"]), scopes: new Set(["sessions"]) });
  });

  it("sets the machine principal with the machine's workspace, also on a stream", async () => {
    const req: StreamRequest = {
      ...unaryRequest(acknowledge, `Bearer ${machine.token}`),
      stream: true,
      method: DaemonService.method.subscribe,
      message: (async function* () {
        yield create(SubscribeRequestSchema);
      })(),
    };
    const { principal } = await call(fake, req);
    expect(principal).toEqual({ kind: "machine", tokenId: machine.tokenId, machineId: "m1", workspaceId: "w1" });
  });

  it("passes the request's signal to every store call", async () => {
    const controller = new AbortController();
    await call(fake, unaryRequest(acknowledge, `Bearer ${machine.token}`, controller.signal));
    expect(fake.signals).toEqual([controller.signal, controller.signal]);
  });

  it("lets public services through without a token", async () => {
    const { called, principal } = await call(fake, unaryRequest(launch), ["workspaces.v1.WorkspaceSessionService"]);
    expect(called).toBe(true);
    expect(principal).toBeUndefined();
    const err = await callError(fake, unaryRequest(MachineService.method.listMachines));
    expect(err.code).toBe(Code.Unauthenticated);
  });
});
