import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createContextKey, createContextValues, type HandlerContext } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import {
  type AbortableHandlerContext,
  createNodeHandlerContext,
  type NodeHandlerContextInit,
} from "../../../server/rpc/create-node-handler-context.js";
import type { NodeHandler } from "../../../server/rpc/node-handler.js";

const getMachine = MachineService.method.getMachine;
const init: NodeHandlerContextInit = { method: getMachine, protocolName: "rest" };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Serves one request with `handler`, over HTTP/1.1 or h2c; resolves with the context it made. */
async function contextOfRequest(
  version: "1.1" | "2",
  request: { method: string; path: string; headers?: Record<string, string | string[]> },
  options: NodeHandlerContextInit = init,
): Promise<AbortableHandlerContext> {
  let made: AbortableHandlerContext | undefined;
  const handler: NodeHandler = (req, res) => {
    made = createNodeHandlerContext(req, options);
    res.end();
  };
  if (version === "1.1") {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ port, host: "127.0.0.1", method: request.method, path: request.path, headers: request.headers });
      req.on("response", (res) => res.resume().on("end", resolve));
      req.on("error", reject);
      req.end();
    });
  } else {
    const server = http2.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    closers.push(
      () =>
        new Promise((resolve) => {
          session.close();
          server.close(() => resolve());
        }),
    );
    await new Promise<void>((resolve, reject) => {
      const stream = session.request({ ":method": request.method, ":path": request.path, ...request.headers });
      stream.on("error", reject);
      stream.resume().on("end", resolve);
      stream.end();
    });
  }
  if (made === undefined) throw new Error("the handler did not run");
  return made;
}

describe("createNodeHandlerContext", () => {
  it("describes an HTTP/1.1 request: method, absolute URL from Host, headers", async () => {
    const ctx = await contextOfRequest("1.1", {
      method: "POST",
      path: "/api/v1/machines/m1?x=1",
      headers: { host: "api.example:8080", "x-trace": "t1", authorization: "Bearer abc" },
    });
    expect(ctx.service).toBe(MachineService);
    expect(ctx.method).toBe(getMachine);
    expect(ctx.protocolName).toBe("rest");
    expect(ctx.requestMethod).toBe("POST");
    expect(ctx.url).toBe("http://api.example:8080/api/v1/machines/m1?x=1");
    expect(ctx.requestHeader.get("x-trace")).toBe("t1");
    expect(ctx.requestHeader.get("authorization")).toBe("Bearer abc");
  });

  it("describes an HTTP/2 request from its pseudo-headers and leaves them out of the headers", async () => {
    const ctx = await contextOfRequest("2", { method: "GET", path: "/api/v1/machines", headers: { "x-trace": "t2" } });
    expect(ctx.requestMethod).toBe("GET");
    expect(ctx.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/machines$/);
    expect(ctx.requestHeader.get("x-trace")).toBe("t2");
    const names = [...ctx.requestHeader.keys()];
    expect(names.some((n) => n.startsWith(":"))).toBe(false);
  });

  it("says https for a request on a TLS socket", () => {
    // A TLS request differs from a cleartext one only in its socket.
    const req = { method: "GET", url: "/x", headers: { host: "secure.example" }, socket: { encrypted: true } };
    const ctx = createNodeHandlerContext(req as unknown as http.IncomingMessage, init);
    expect(ctx.url).toBe("https://secure.example/x");
  });

  it("joins a repeated header with commas", async () => {
    const ctx = await contextOfRequest("2", { method: "GET", path: "/", headers: { "x-multi": ["a", "b"] } });
    expect(ctx.requestHeader.get("x-multi")).toBe("a, b");
  });

  it("carries the given context values, and fresh ones by default", async () => {
    const kUser = createContextKey("nobody");
    const values = createContextValues();
    values.set(kUser, "ada");
    const given = await contextOfRequest("1.1", { method: "GET", path: "/" }, { ...init, contextValues: values });
    expect(given.values).toBe(values);
    const fresh = await contextOfRequest("1.1", { method: "GET", path: "/" });
    expect(fresh.values).not.toBe(values);
    expect(fresh.values.get(kUser)).toBe("nobody");
  });

  it("has a signal that follows the shutdown signal and ends with abort()", async () => {
    const shutdown = new AbortController();
    const followed: HandlerContext = await contextOfRequest(
      "1.1",
      { method: "GET", path: "/" },
      { ...init, shutdownSignal: shutdown.signal },
    );
    expect(followed.signal.aborted).toBe(false);
    shutdown.abort(new Error("shutting down"));
    expect(followed.signal.aborted).toBe(true);

    const ended = await contextOfRequest("1.1", { method: "GET", path: "/" });
    const reason = new Error("call over");
    ended.abort(reason);
    expect(ended.signal.aborted).toBe(true);
    expect(ended.signal.reason).toBe(reason);
  });
});
