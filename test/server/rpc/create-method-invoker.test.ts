import { create, isMessage, type Message } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextKey,
  createContextValues,
  createHandlerContext,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  GetMachineRequestSchema,
  GetMachineResponseSchema,
  ListMachinesRequestSchema,
  MachineService,
} from "../../../gen/workspaces/v1/machine_service_pb.js";
import { SessionEventSchema } from "../../../gen/workspaces/v1/session_pb.js";
import {
  WatchWorkspaceSessionRequestSchema,
  WorkspaceSessionService,
} from "../../../gen/workspaces/v1/workspace_session_service_pb.js";
import { createMethodInvoker } from "../../../server/rpc/create-method-invoker.js";
import { serviceBinding } from "../../../server/rpc/service-binding.js";

const getMachine = MachineService.method.getMachine;
const listMachines = MachineService.method.listMachines;
const watch = WorkspaceSessionService.method.watchWorkspaceSession;

function contextFor(method: typeof getMachine | typeof listMachines | typeof watch, header: HeadersInit = {}) {
  return createHandlerContext({
    service: method.parent,
    method,
    protocolName: "test",
    requestMethod: "POST",
    url: "http://localhost/test",
    requestHeader: header,
    contextValues: createContextValues(),
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

describe("createMethodInvoker", () => {
  it("runs the interceptors in order, the first outermost, around the implementation", async () => {
    const order: string[] = [];
    const tag =
      (name: string): Interceptor =>
      (next) =>
      async (req) => {
        order.push(`${name} in`);
        const res = await next(req);
        order.push(`${name} out`);
        return res;
      };
    const invoker = createMethodInvoker({
      services: [
        serviceBinding(MachineService, {
          getMachine() {
            order.push("impl");
            return {};
          },
        }),
      ],
      interceptors: [tag("a"), tag("b")],
    });
    await invoker.unary(contextFor(getMachine), create(GetMachineRequestSchema));
    expect(order).toEqual(["a in", "b in", "impl", "b out", "a out"]);
  });

  it("gives the implementation the caller's context and input, and turns an init shape into a message", async () => {
    let seen: { ctx: HandlerContext; machineId: string } | undefined;
    const invoker = createMethodInvoker({
      services: [
        serviceBinding(MachineService, {
          getMachine(req, ctx) {
            seen = { ctx, machineId: req.machineId };
            ctx.responseHeader.set("x-answer", "42");
            return { machine: { machineId: req.machineId, hostname: "box" } };
          },
        }),
      ],
    });
    const ctx = contextFor(getMachine);
    const res = await invoker.unary(ctx, create(GetMachineRequestSchema, { machineId: "m1" }));
    expect(seen?.ctx).toBe(ctx);
    expect(seen?.machineId).toBe("m1");
    expect(isMessage(res.message, GetMachineResponseSchema)).toBe(true);
    expect(res.message).toMatchObject({ machine: { machineId: "m1", hostname: "box" } });
    expect(res.header).toBe(ctx.responseHeader);
    expect(res.header.get("x-answer")).toBe("42");
    expect(res.trailer).toBe(ctx.responseTrailer);
    expect(res.method).toBe(getMachine);
  });

  it("passes the headers and signal an interceptor replaced, and the values it set, on to the implementation", async () => {
    const kUser = createContextKey("nobody");
    const deadline = new AbortController();
    const auth: Interceptor = (next) => (req) => {
      const header = new Headers(req.header);
      header.set("x-seen-by", "auth");
      req.contextValues.set(kUser, "ada");
      return next({ ...req, header, signal: deadline.signal });
    };
    let seen: HandlerContext | undefined;
    const invoker = createMethodInvoker({
      services: [
        serviceBinding(MachineService, {
          getMachine(_req, ctx) {
            seen = ctx;
            return {};
          },
        }),
      ],
      interceptors: [auth],
    });
    const ctx = contextFor(getMachine, { authorization: "Bearer t" });
    await invoker.unary(ctx, create(GetMachineRequestSchema));
    expect(seen).not.toBe(ctx);
    expect(seen?.requestHeader.get("x-seen-by")).toBe("auth");
    expect(seen?.requestHeader.get("authorization")).toBe("Bearer t");
    expect(seen?.signal).toBe(deadline.signal);
    expect(seen?.values).toBe(ctx.values);
    expect(seen?.values.get(kUser)).toBe("ada");
    expect(seen?.responseHeader).toBe(ctx.responseHeader);
    expect(seen?.method).toBe(getMachine);
  });

  it("fails with internal, calling nothing, when an interceptor hands on other context values", async () => {
    let called = false;
    const invoker = createMethodInvoker({
      services: [
        serviceBinding(MachineService, {
          getMachine() {
            called = true;
            return {};
          },
        }),
      ],
      interceptors: [(next) => (req) => next({ ...req, contextValues: createContextValues() })],
    });
    await expect(invoker.unary(contextFor(getMachine), create(GetMachineRequestSchema))).rejects.toMatchObject({
      code: Code.Internal,
    });
    expect(called).toBe(false);
  });

  it("streams a server-streaming method's outputs as messages, as they are produced", async () => {
    let input: string | undefined;
    const invoker = createMethodInvoker({
      services: [
        serviceBinding(WorkspaceSessionService, {
          async *watchWorkspaceSession(req) {
            input = req.sessionId;
            yield { sessionId: req.sessionId, sequence: 1n };
            yield create(SessionEventSchema, { sessionId: req.sessionId, sequence: 2n });
          },
        }),
      ],
    });
    const res = await invoker.serverStream(
      contextFor(watch),
      create(WatchWorkspaceSessionRequestSchema, { workspaceId: "w1", sessionId: "s1" }),
    );
    const events = await collect(res.message);
    expect(input).toBe("s1");
    expect(events.map((e) => isMessage(e, SessionEventSchema))).toEqual([true, true]);
    expect(events).toMatchObject([{ sequence: 1n }, { sequence: 2n }]);
  });

  it("lets an interceptor see and wrap the stream of a server-streaming call", async () => {
    let requested: Message[] = [];
    const spy: Interceptor = (next) => async (req) => {
      if (req.stream) requested = await collect(req.message);
      // The request's stream is read: hand the implementation a fresh one.
      const res = await next(req.stream ? { ...req, message: toStream(requested) } : req);
      return res;
    };
    const invoker = createMethodInvoker({
      services: [
        serviceBinding(WorkspaceSessionService, {
          async *watchWorkspaceSession(req) {
            yield { sessionId: req.sessionId };
          },
        }),
      ],
      interceptors: [spy],
    });
    const res = await invoker.serverStream(contextFor(watch), create(WatchWorkspaceSessionRequestSchema, { sessionId: "s9" }));
    expect(requested).toHaveLength(1);
    expect(await collect(res.message)).toMatchObject([{ sessionId: "s9" }]);
  });

  it("answers unimplemented for a method the implementation leaves out, after the interceptors ran", async () => {
    const seen: string[] = [];
    const invoker = createMethodInvoker({
      services: [serviceBinding(MachineService, { getMachine: () => ({}) })],
      interceptors: [
        (next) => (req) => {
          seen.push(req.method.name);
          return next(req);
        },
      ],
    });
    const error = await invoker.unary(contextFor(listMachines), create(ListMachinesRequestSchema)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unimplemented);
    expect((error as ConnectError).rawMessage).toBe("workspaces.v1.MachineService.ListMachines is not implemented");
    expect(seen).toEqual(["ListMachines"]);
  });

  it("answers unimplemented for a method of a service it was not given", async () => {
    const invoker = createMethodInvoker({ services: [serviceBinding(MachineService, {})] });
    const error = await invoker
      .serverStream(contextFor(watch), create(WatchWorkspaceSessionRequestSchema))
      .catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.Unimplemented);
    expect(ConnectError.from(error).rawMessage).toBe(
      "workspaces.v1.WorkspaceSessionService.WatchWorkspaceSession is not implemented",
    );
  });

  it("rejects with what the implementation throws, for the interceptors to map", async () => {
    const invoker = createMethodInvoker({
      services: [
        serviceBinding(MachineService, {
          getMachine() {
            throw new ConnectError("no such machine", Code.NotFound);
          },
        }),
      ],
      interceptors: [
        (next) => async (req) => {
          try {
            return await next(req);
          } catch (error) {
            throw new ConnectError(`mapped: ${ConnectError.from(error).rawMessage}`, ConnectError.from(error).code);
          }
        },
      ],
    });
    await expect(invoker.unary(contextFor(getMachine), create(GetMachineRequestSchema))).rejects.toMatchObject({
      code: Code.NotFound,
      rawMessage: "mapped: no such machine",
    });
  });
});

async function* toStream<T>(values: readonly T[]): AsyncIterable<T> {
  yield* values;
}
