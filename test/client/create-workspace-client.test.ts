import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bearerAuth,
  createWorkspaceClient,
  type WorkspaceProtocol,
} from "../../client/create-workspace-client.js";
import { SessionEventType } from "../../gen/workspaces/v1/session_pb.js";
import { type FakeWorkspaceServer, startFakeWorkspaceServer } from "./fake-workspace-server.js";

// The fake server reports what it received: the Authorization header as the
// machine's hostname and the call's remaining deadline as its daemon version.
let server: FakeWorkspaceServer;

beforeAll(async () => {
  server = await startFakeWorkspaceServer({
    machines: {
      listMachines(req, ctx) {
        return {
          machines: [
            {
              machineId: "m1",
              workspaceId: req.workspaceId || "ws1",
              online: true,
              hostname: ctx.requestHeader.get("authorization") ?? "",
              daemonVersion: String(ctx.timeoutMs()),
            },
          ],
        };
      },
    },
    sessions: {
      async *watchWorkspaceSession(req, ctx) {
        yield { sessionId: req.sessionId, sequence: 1n, type: SessionEventType.RUNNING, message: String(ctx.timeoutMs()) };
      },
    },
  });
});

afterAll(async () => {
  await server?.close();
});

const cases: { protocol: WorkspaceProtocol; http2: boolean }[] = [
  { protocol: "connect", http2: false },
  { protocol: "grpc", http2: true },
  { protocol: "grpc-web", http2: false },
];

describe("createWorkspaceClient", () => {
  it.each(cases)("calls over $protocol with the bearer token and the default 30 s deadline", async ({ protocol, http2 }) => {
    // The default HTTP version is 2 for gRPC and 1.1 otherwise: each URL speaks only one.
    const client = createWorkspaceClient({ baseUrl: http2 ? server.url2 : server.url1, token: "wsa_secret", protocol });
    const res = await client.machines.listMachines({ workspaceId: "acme" });
    expect(res.machines).toHaveLength(1);
    const [machine] = res.machines;
    expect(machine?.workspaceId).toBe("acme");
    expect(machine?.hostname).toBe("Bearer wsa_secret");
    const remaining = Number(machine?.daemonVersion);
    expect(remaining).toBeGreaterThan(25_000);
    expect(remaining).toBeLessThanOrEqual(30_000);
  });

  // gRPC is left out: it needs HTTP/2.
  it.each(cases.filter((c) => c.protocol !== "grpc"))("speaks $protocol over the other HTTP version when asked", async ({ protocol, http2 }) => {
    const client = createWorkspaceClient({
      baseUrl: http2 ? server.url1 : server.url2,
      token: "t",
      protocol,
      httpVersion: http2 ? "1.1" : "2",
      useBinaryFormat: false,
    });
    const res = await client.machines.listMachines({});
    expect(res.machines[0]?.machineId).toBe("m1");
  });

  it("applies timeoutMs as the deadline of unary calls, and a call's own timeout wins", async () => {
    const client = createWorkspaceClient({ baseUrl: `${server.url1}/`, token: "t", timeoutMs: 4000 });
    const res = await client.machines.listMachines({});
    expect(Number(res.machines[0]?.daemonVersion)).toBeLessThanOrEqual(4000);
    const own = await client.machines.listMachines({}, { timeoutMs: 90_000 });
    expect(Number(own.machines[0]?.daemonVersion)).toBeGreaterThan(4000);
  });

  it("gives streams no deadline unless the call asks for one", async () => {
    const client = createWorkspaceClient({ baseUrl: server.url2, token: "t", protocol: "grpc", timeoutMs: 1000 });
    const events = [];
    for await (const ev of client.sessions.watchWorkspaceSession({ workspaceId: "ws1", sessionId: "s1" })) events.push(ev);
    expect(events.map((e) => e.message)).toEqual(["undefined"]);
    const bounded = [];
    for await (const ev of client.sessions.watchWorkspaceSession({ workspaceId: "ws1", sessionId: "s1" }, { timeoutMs: 7000 })) {
      bounded.push(ev);
    }
    expect(Number(bounded[0]?.message)).toBeLessThanOrEqual(7000);
  });

  it("keeps an Authorization header the call sets itself", async () => {
    const client = createWorkspaceClient({ baseUrl: server.url1, token: "default" });
    const res = await client.machines.listMachines({}, { headers: { Authorization: "Bearer other" } });
    expect(res.machines[0]?.hostname).toBe("Bearer other");
  });

  it("surfaces the server's code for methods it does not serve", async () => {
    const client = createWorkspaceClient({ baseUrl: server.url1, token: "t" });
    const error = await client.machines.getMachine({ machineId: "m1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unimplemented);
  });

  it("rejects an unknown protocol", () => {
    expect(() =>
      createWorkspaceClient({ baseUrl: server.url1, token: "t", protocol: "soap" as WorkspaceProtocol }),
    ).toThrow(/unknown protocol "soap"/);
  });
});

describe("bearerAuth", () => {
  it("is an interceptor that sets Authorization: Bearer <token>", async () => {
    const header = new Headers();
    const next = async (req: { header: Headers }) => req;
    // biome-ignore lint/suspicious/noExplicitAny: a minimal request stands in for Connect's UnaryRequest
    await bearerAuth("abc")(next as any)({ header } as any);
    expect(header.get("authorization")).toBe("Bearer abc");
  });
});
