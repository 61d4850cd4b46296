import * as http from "node:http";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { type ListenOptions, listenOnePort, type OnePortServer } from "../../../server/transport/listen-one-port.js";
import { HTTP2_PREFACE } from "../../../server/transport/sniff-http-version.js";
import { h1Get, h2Close, h2Connect, h2Get } from "./one-port-clients.js";
import { byteByByteProxy, connectRaw, readUntilClose, requireCommand, run, versionHandler } from "./one-port-fixtures.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: Partial<ListenOptions> = {}): Promise<OnePortServer> {
  const server = await listenOnePort({ port: 0, handler: versionHandler().handler, ...options });
  cleanups.push(() => server.close({ graceMs: 100 }));
  return server;
}

describe("listenOnePort", () => {
  it("reports its URL and the port it bound", async () => {
    const server = await start();
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it("serves HTTP/1.1 with keep-alive: two requests on one socket", async () => {
    const server = await start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const first = await h1Get(`${server.url}/`, { agent });
    const second = await h1Get(`${server.url}/`, { agent });
    expect(first.status).toBe(200);
    expect(first.body).toBe("1.1");
    expect(second.body).toBe("1.1");
    expect(second.reusedSocket).toBe(true);
    expect(second.headers["x-remote-port"]).toBe(first.headers["x-remote-port"]);
    expect(first.headers.connection).toBe("keep-alive");
  });

  it("serves HTTP/2 with prior knowledge (h2c) on the same port", async () => {
    const server = await start();
    const session = await h2Connect(server.url);
    cleanups.push(() => h2Close(session));
    const [a, b] = await Promise.all([h2Get(session, "/"), h2Get(session, "/")]);
    expect(a.status).toBe(200);
    expect(a.body).toBe("2.0");
    expect(b.body).toBe("2.0");
    // And HTTP/1.1 still works beside it.
    expect((await h1Get(`${server.url}/`)).body).toBe("1.1");
  });

  it("serves curl over h2c prior knowledge and HTTP/1.1", async ({ skip }) => {
    await requireCommand("curl", skip);
    const server = await start();
    const h2 = await run("curl", ["-sS", "--http2-prior-knowledge", `${server.url}/`]);
    const h1 = await run("curl", ["-sS", "--http1.1", `${server.url}/`]);
    expect(h2).toMatchObject({ code: 0, stdout: "2.0" });
    expect(h1).toMatchObject({ code: 0, stdout: "1.1" });
  });

  it("tells the versions apart when every byte arrives in its own packet", async () => {
    const server = await start();
    const proxy = await byteByByteProxy(server.port);
    cleanups.push(() => proxy.close());
    const proxied = `http://127.0.0.1:${proxy.port}`;
    const session = await h2Connect(proxied);
    cleanups.push(() => h2Close(session));
    expect((await h2Get(session, "/")).body).toBe("2.0");
    const agent = new http.Agent({ keepAlive: false });
    cleanups.push(() => agent.destroy());
    expect((await h1Get(`${proxied}/`, { agent })).body).toBe("1.1");
  });

  it("decides HTTP/1.1 at the first byte that differs from the preface, without waiting for 24 bytes", async () => {
    const server = await start();
    const socket = await connectRaw(server.port);
    const reply = readUntilClose(socket);
    // Shorter than the preface and sent without closing: only an early verdict can answer it.
    socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(await reply).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n1\.1$/);
  });

  it("survives connections that close, reset or stall before a verdict", async () => {
    const server = await start({ headersTimeoutMs: 200, requestTimeoutMs: 1000 });
    const silent = await connectRaw(server.port);
    const silentClosed = readUntilClose(silent);
    silent.end();
    await silentClosed;

    const reset = await connectRaw(server.port);
    const resetClosed = readUntilClose(reset);
    reset.write(HTTP2_PREFACE.subarray(0, 5));
    reset.resetAndDestroy();
    await resetClosed;

    // A preface prefix that never completes is dropped after headersTimeoutMs.
    const stalled = await connectRaw(server.port);
    const stalledClosed = readUntilClose(stalled);
    stalled.write(HTTP2_PREFACE.subarray(0, 10));
    expect(await stalledClosed).toBe("");

    expect((await h1Get(`${server.url}/`)).body).toBe("1.1");
    const session = await h2Connect(server.url);
    cleanups.push(() => h2Close(session));
    expect((await h2Get(session, "/")).body).toBe("2.0");
  });

  it("answers a malformed HTTP/1 request with 400 and closes the connection", async () => {
    const server = await start();
    const socket = await connectRaw(server.port);
    const reply = readUntilClose(socket);
    socket.write("BLAH\x01 nonsense\r\n\r\n");
    expect(await reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect((await h1Get(`${server.url}/`)).body).toBe("1.1");
  });

  it("answers 408 when HTTP/1 headers do not arrive within headersTimeoutMs", async () => {
    const server = await start({ headersTimeoutMs: 200, requestTimeoutMs: 1000 });
    const socket = await connectRaw(server.port);
    const reply = readUntilClose(socket);
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
    expect(await reply).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it("answers 500 when the handler throws, and keeps serving", async () => {
    const server = await start({ onError: () => {} });
    expect((await h1Get(`${server.url}/throw`)).status).toBe(500);
    const session = await h2Connect(server.url);
    cleanups.push(() => h2Close(session));
    expect((await h2Get(session, "/throw")).status).toBe(500);
    expect((await h2Get(session, "/")).body).toBe("2.0");
  });

  it("accepts connectNodeAdapter's handler for both versions", async () => {
    const server = await start({ handler: connectNodeAdapter({ routes: () => {} }) });
    expect((await h1Get(`${server.url}/nothing.here/Method`)).status).toBe(404);
    const session = await h2Connect(server.url);
    cleanups.push(() => h2Close(session));
    expect((await h2Get(session, "/nothing.here/Method")).status).toBe(404);
  });

  it("rejects with a clear message when the port is taken", async () => {
    const server = await start();
    await expect(listenOnePort({ port: server.port, handler: () => {} })).rejects.toThrow(
      `cannot listen on 127.0.0.1:${server.port}: EADDRINUSE`,
    );
  });

  it("rejects timeouts that are not non-negative integers", async () => {
    await expect(listenOnePort({ port: 0, handler: () => {}, idleTimeoutMs: -1 })).rejects.toThrow(
      "idleTimeoutMs must be a non-negative integer",
    );
  });
});
